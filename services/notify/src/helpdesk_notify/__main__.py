"""``python -m helpdesk_notify [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit.cli import run_cli
from helpdesk_notify import app
from helpdesk_notify.config import Settings
from helpdesk_notify.usecases import SERVICE


async def serve() -> None:
    await app.serve(Settings())


async def migrate() -> None:
    await app.migrate(Settings())


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
