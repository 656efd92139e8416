"""Settings of the tickets service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings, NatsSettings):
    identity_addr: str
    # How long the list of units is trusted before identity is asked again.
    units_cache_seconds: float = 30.0
