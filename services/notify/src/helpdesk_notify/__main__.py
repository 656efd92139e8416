"""``python -m helpdesk_notify [serve|migrate|import-zenlix ...]``."""

from __future__ import annotations

import argparse

from helpdesk_kit import sealing
from helpdesk_kit.cli import run_cli
from helpdesk_kit.config import DatabaseSettings, SealingSettings
from helpdesk_kit.db import Database
from helpdesk_notify import app, zenlix
from helpdesk_notify.config import Settings
from helpdesk_notify.usecases import SERVICE
from helpdesk_zenlix import cli as zenlix_cli
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report


class MigrateSettings(DatabaseSettings, SealingSettings):
    """What ``migrate`` needs: the database, and the key ring to re-seal stored secrets."""


def _settings() -> Settings:
    """The settings, read once; the secrets key ring is set up from them at once."""
    settings = Settings()
    sealing.configure(settings.secret_keys)
    return settings


async def serve() -> None:
    await app.serve(_settings())


async def migrate() -> None:
    # Migrating needs the database, and the key ring to re-seal stored secrets.
    settings = MigrateSettings()
    sealing.configure(settings.secret_keys)
    await app.migrate(settings)


async def import_zenlix(argv: list[str]) -> int:
    """Notification preferences of a ZENLIX 2 database (docs/zenlix-import.md)."""
    settings = DatabaseSettings()  # HELPDESK_DATABASE_URL, from the environment

    async def run(reader: Reader, args: argparse.Namespace) -> Report:
        async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db:
            return await zenlix.import_zenlix(db=db, reader=reader, dry_run=args.dry_run)

    return await zenlix_cli.run(SERVICE, argv, run)


def main() -> None:
    run_cli(
        service=SERVICE,
        commands={"serve": serve, "migrate": migrate},
        with_args={"import-zenlix": import_zenlix},
    )


if __name__ == "__main__":
    main()
