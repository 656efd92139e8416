"""``python -m helpdesk_gateway [serve|migrate]``."""

from __future__ import annotations

from helpdesk_gateway import app
from helpdesk_gateway.app import SERVICE
from helpdesk_gateway.config import Settings
from helpdesk_kit.cli import run_cli


async def serve() -> None:
    await app.serve(Settings())


async def migrate() -> None:
    await app.migrate(Settings())


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
