"""Settings of the sla service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings
from helpdesk_kit.retention import RetentionSettings


class Settings(ServiceSettings, DatabaseSettings, NatsSettings, RetentionSettings):
    # Identity's gRPC address: its public keys verify the passports of calls.
    identity_addr: str
    # A running clock turns "warning" when this share of its limit is left.
    sla_warning_percent: float = Field(default=20.0, ge=0, lt=100)
    # The timers re-read the head of the next-fire index at least this often (NOTIFY wakes them sooner).
    sla_timers_rescan_seconds: float = Field(default=10.0, gt=0, le=300)


class ImportSettings(DatabaseSettings):
    """What ``import-zenlix`` needs: the database and the warning share, no NATS."""

    sla_warning_percent: float = Field(default=20.0, ge=0, lt=100)
