"""``python -m helpdesk_sla [serve|migrate|import-zenlix ...]``."""

from __future__ import annotations

import argparse

from helpdesk_kit.cli import run_cli
from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_sla import app, zenlix
from helpdesk_sla.app import SERVICE
from helpdesk_sla.config import ImportSettings, Settings
from helpdesk_sla.usecases import Policy
from helpdesk_zenlix import cli as zenlix_cli
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report


async def serve() -> None:
    await app.serve(Settings())


async def migrate() -> None:
    await app.migrate(DatabaseSettings())  # migrating needs the database only


async def import_zenlix(argv: list[str]) -> int:
    """SLA plans and the clocks of the imported tickets (after tickets' import; docs/zenlix-import.md)."""
    settings = ImportSettings()

    async def run(reader: Reader, args: argparse.Namespace) -> Report:
        policy = Policy(warning_percent=settings.sla_warning_percent)
        async with Database(settings.database_url, schema=SERVICE, pool_size=2) as db:
            return await zenlix.import_zenlix(
                db=db, reader=reader, dry_run=args.dry_run, policy=policy, batch=args.batch
            )

    return await zenlix_cli.run(SERVICE, argv, run)


def main() -> None:
    run_cli(
        service=SERVICE,
        commands={"serve": serve, "migrate": migrate},
        with_args={"import-zenlix": import_zenlix},
    )


if __name__ == "__main__":
    main()
