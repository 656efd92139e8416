"""``python -m helpdesk_identity [serve|migrate|bootstrap-admin|rotate-key|import-zenlix ...]``."""

from __future__ import annotations

import argparse
import sys

from helpdesk_identity import app, usecases, zenlix
from helpdesk_identity.config import Settings
from helpdesk_kit import sealing
from helpdesk_kit.cli import run_cli
from helpdesk_kit.config import DatabaseSettings, SealingSettings
from helpdesk_kit.db import Database
from helpdesk_zenlix import cli as zenlix_cli
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report


def _settings() -> Settings:
    """The settings, read once; the secrets key ring is set up from them at once."""
    settings = Settings()
    sealing.configure(settings.secret_keys)
    return settings


async def serve() -> None:
    await app.serve(_settings())


class MigrateSettings(DatabaseSettings, SealingSettings):
    """What ``migrate`` needs: the database, and the key ring to re-seal stored secrets."""


async def migrate() -> None:
    settings = MigrateSettings()
    sealing.configure(settings.secret_keys)
    await app.migrate(settings)


async def bootstrap_admin() -> None:
    created, generated = await app.bootstrap_admin(_settings())
    # The one place a secret is shown: once, to the operator who started the system.
    if generated:
        sys.stdout.write(f"Created the administrator 'system' with the password: {generated}\n")
    elif created:
        sys.stdout.write("Created the administrator 'system' with HELPDESK_ADMIN_PASSWORD.\n")
    else:
        sys.stdout.write("The administrator 'system' exists.\n")


async def rotate_key() -> None:
    settings = _settings()
    async with Database(settings.database_url, schema=app.SERVICE, pool_size=1) as db:
        kid = await usecases.rotate_signing_key(db=db)
    sys.stdout.write(f"New signing key {kid}; tokens signed by the old one stay valid until they expire.\n")


async def import_zenlix(argv: list[str]) -> int:
    """Units, client groups, positions and users of a ZENLIX 2 database (docs/zenlix-import.md)."""
    settings = Settings()

    async def run(reader: Reader, args: argparse.Namespace) -> Report:
        async with Database(settings.database_url, schema=app.SERVICE, pool_size=1) as db:
            return await zenlix.import_zenlix(db=db, reader=reader, dry_run=args.dry_run)

    return await zenlix_cli.run(app.SERVICE, argv, run)


def main() -> None:
    run_cli(
        service=app.SERVICE,
        commands={
            "serve": serve,
            "migrate": migrate,
            "bootstrap-admin": bootstrap_admin,
            "rotate-key": rotate_key,
        },
        with_args={"import-zenlix": import_zenlix},
    )


if __name__ == "__main__":
    main()
