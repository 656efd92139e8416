"""``python -m helpdesk_sla [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit.cli import run_cli
from helpdesk_sla import app
from helpdesk_sla.app import SERVICE
from helpdesk_sla.config import Settings


async def serve() -> None:
    await app.serve(Settings())


async def migrate() -> None:
    await app.migrate(Settings())


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
