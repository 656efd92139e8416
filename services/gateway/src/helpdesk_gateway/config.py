"""Settings of the gateway (environment, prefix HELPDESK_)."""

from __future__ import annotations

from helpdesk_kit.config import ServiceSettings


class Settings(ServiceSettings):
    identity_addr: str
    tickets_addr: str
    notify_addr: str
    sla_addr: str
    portal_addr: str
    # Links the gateway writes (a ticket made of a portal post links back to the post).
    public_url: str = "http://localhost:8080"
    realtime_url: str | None = None
    # Where realtime answers /readyz when it serves health on its own ops port (the chart:
    # http://<release>-realtime:9000); unset = realtime_url. Read by GET /api/v1/system.
    realtime_ops_url: str | None = None
    # Read by GET /api/v1/system for the queue depths (JetStream); optional.
    nats_url: str | None = None
