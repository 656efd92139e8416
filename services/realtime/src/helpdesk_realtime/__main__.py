"""``python -m helpdesk_realtime [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit.cli import run_cli

from helpdesk_realtime import app
from helpdesk_realtime.config import Settings


async def serve() -> None:
    await app.serve(Settings())  # type: ignore[call-arg]


async def migrate() -> None:
    await app.migrate(Settings())  # type: ignore[call-arg]


def main() -> None:
    run_cli(service=app.SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
