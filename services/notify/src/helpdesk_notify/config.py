"""Settings of the notify service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field

from helpdesk_kit.config import DatabaseSettings, NatsSettings, SealingSettings, ServiceSettings
from helpdesk_kit.retention import RetentionSettings


class Settings(ServiceSettings, DatabaseSettings, NatsSettings, SealingSettings, RetentionSettings):
    identity_addr: str
    #: ``HELPDESK_PUBLIC_URL``: links in mails point at ``<public_url>/tickets/<id>``.
    public_url: str = "http://localhost:8080"
    #: Unit members, heads and people asked of identity are kept this long (0 = ask every time).
    directory_cache_seconds: float = 5.0
    #: A delivery failing for a passing reason is retried this long after its first attempt.
    delivery_retry_horizon_seconds: float = Field(default=24 * 3600.0, gt=0)
    delivery_backoff_base_seconds: float = Field(default=5.0, gt=0)
    delivery_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    #: A channel whose server fails as a whole pauses this long, doubling up to the cap.
    delivery_circuit_base_seconds: float = Field(default=2.0, gt=0)
    delivery_circuit_cap_seconds: float = Field(default=300.0, gt=0)
    delivery_idle_seconds: float = 0.5
    #: Mails sent per transaction: a crash may resend at most this many (same Message-ID).
    delivery_per_transaction: int = 20
    #: Mass mailings are spread out to this many mails per second.
    mailing_per_second: float = 5.0
    #: Mails and pushes sent this long ago are deleted with their log (0: kept for ever).
    retention_delivered_days: float = Field(default=30.0, ge=0)
    #: Pop-ups that were read, this long after they appeared (0: kept for ever) ...
    retention_read_popups_days: float = Field(default=90.0, ge=0)
    #: ... and those never read.
    retention_unread_popups_days: float = Field(default=365.0, ge=0)
    #: Webhooks (docs/webhooks.md): a delivery failing for a passing reason is retried this
    #: long after its first attempt, pausing base·2^n seconds up to the cap between tries.
    webhook_retry_horizon_seconds: float = Field(default=72 * 3600.0, gt=0)
    webhook_backoff_base_seconds: float = Field(default=10.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Networks no webhook may reach besides the always refused ones (loopback, private,
    #: link-local, CGNAT...): the cluster's service and pod ranges, comma-separated CIDRs.
    webhook_refused_networks: str = ""
    #: New events get their place in the events feed this often (they show in it after).
    feed_order_seconds: float = Field(default=0.25, gt=0)
    #: Events are kept this long for the events feed (GET /api/v1/events), with their
    #: webhook deliveries and log (0: kept for ever).
    retention_events_days: float = Field(default=7.0, ge=0)
