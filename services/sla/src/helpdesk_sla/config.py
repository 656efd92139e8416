"""Settings of the sla service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings, NatsSettings):
    pass
