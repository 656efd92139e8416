"""``python -m helpdesk_mailin [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit import sealing
from helpdesk_kit.cli import run_cli
from helpdesk_kit.config import DatabaseSettings, SealingSettings
from helpdesk_mailin import app
from helpdesk_mailin.app import SERVICE
from helpdesk_mailin.config import Settings


class MigrateSettings(DatabaseSettings, SealingSettings):
    """What ``migrate`` needs: the database, and the key ring to re-seal mailbox passwords."""


async def serve() -> None:
    settings = Settings()
    sealing.configure(settings.secret_keys)
    await app.serve(settings)


async def migrate() -> None:
    settings = MigrateSettings()
    sealing.configure(settings.secret_keys)
    await app.migrate(settings)


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
