"""``python -m helpdesk_portal [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit.cli import run_cli
from helpdesk_kit.config import DatabaseSettings
from helpdesk_portal import app
from helpdesk_portal.config import Settings
from helpdesk_portal.events import SERVICE


async def serve() -> None:
    await app.serve(Settings())


async def migrate() -> None:
    await app.migrate(DatabaseSettings())  # migrating needs the database only


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
