"""Settings of the gateway (environment, prefix HELPDESK_)."""

from __future__ import annotations

import zoneinfo

from limits import parse_many
from pydantic import Field, field_validator

from helpdesk_kit.config import OriginSettings, ServiceSettings


class Settings(ServiceSettings, OriginSettings):
    identity_addr: str
    tickets_addr: str
    notify_addr: str
    sla_addr: str
    portal_addr: str
    # Mail intake (optional: without it the mailbox routes answer 503).
    mailin_addr: str | None = None
    # Links the gateway writes (a ticket made of a portal post links back to the post).
    public_url: str = "http://localhost:8080"
    realtime_url: str | None = None
    # Where realtime answers /readyz when it serves health on its own ops port (the chart:
    # http://<release>-realtime:9000); unset = realtime_url. Read by GET /api/v1/system.
    realtime_ops_url: str | None = None
    # Identity's revocations (sessions, API tokens, rights) reach every replica at once over
    # it; GET /api/v1/system reads the queue depths (JetStream) with it. Optional.
    nats_url: str | None = None
    # The rate limits are counted here (shared by the replicas); without it there are none.
    redis_url: str | None = None
    # Every request to /api/v1, per signed-in user (per client address without a valid
    # token); its quota is in each answer's RateLimit-* fields.
    rate_api: str = "1200/minute"
    # Limits per signed-in user ("<count>/<period>", several joined by ";": 30/minute;300/day;
    # "" = no limit, e.g. for a load test).
    rate_tickets: str = "30/minute;300/day"
    rate_comments: str = "60/minute"
    rate_uploads: str = "60/minute"
    # Limits per client address, on the routes anyone may call that send mail.
    rate_registrations: str = "10/hour"
    rate_password_resets: str = "10/hour"
    # The portal's uploads (each up to its max_file_bytes, kept in its database), per user;
    # its "was this helpful" votes, which anonymous readers cast too, per address.
    rate_portal_uploads: str = "20/minute;200/day"
    rate_portal_votes: str = "60/minute"

    @field_validator(
        "rate_api",
        "rate_tickets",
        "rate_comments",
        "rate_uploads",
        "rate_registrations",
        "rate_password_resets",
        "rate_portal_uploads",
        "rate_portal_votes",
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        if value.strip():
            parse_many(value)  # ValueError names the bad string: the start-up fails with it
        return value

    # Request bodies: JSON ones, and uploads (multipart), whose default is the tickets
    # service's default file limit (10 MiB) plus room for the multipart framing. An admin
    # who raises max_file_bytes in /settings/tickets raises this one too.
    max_json_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_body_bytes: int = Field(default=10 * 1024 * 1024 + 64 * 1024, ge=1024)
    # ZENLIX's JSON API (POST /api, /api.php; docs/zenlix-api.md): off = those paths answer 404.
    zenlix_api: bool = True
    # The zone of its dates ("YYYY-MM-DD HH:MM:SS", naive as ZENLIX wrote them) for users
    # who chose none: ZENLIX's perf.time_zone.
    zenlix_time_zone: str = "UTC"

    @field_validator("zenlix_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not an IANA time zone: {value!r}") from exc
        return value
