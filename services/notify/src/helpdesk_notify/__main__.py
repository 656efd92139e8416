"""``python -m helpdesk_notify [serve|migrate]``."""

from __future__ import annotations

from helpdesk_kit import sealing
from helpdesk_kit.cli import run_cli
from helpdesk_notify import app
from helpdesk_notify.config import Settings
from helpdesk_notify.usecases import SERVICE


def _settings() -> Settings:
    """The settings, read once; the secrets key ring is set up from them at once."""
    settings = Settings()
    sealing.configure(settings.secret_keys)
    return settings


async def serve() -> None:
    await app.serve(_settings())


async def migrate() -> None:
    await app.migrate(_settings())


def main() -> None:
    run_cli(service=SERVICE, commands={"serve": serve, "migrate": migrate})


if __name__ == "__main__":
    main()
