"""Webhooks, their deliveries, and the events feed (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from helpdesk.notify.v1 import notify_pb2 as n_pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts


class Webhook(Out):
    """An outgoing webhook; its secret is write-only (``has_secret`` says whether one is set)."""

    id: int
    url: str
    events: list[str]
    unit_ids: list[int] = Field(description="only tickets of these units; empty = all")
    enabled: bool
    allowed_cidr: str = Field(
        description='internal receivers: addresses in this range are allowed ("" = none)'
    )
    has_secret: bool
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def from_pb(cls, w: n_pb.Webhook) -> Webhook:
        return cls.of(
            id=w.id,
            url=w.url,
            events=list(w.events),
            unit_ids=list(w.unit_ids),
            enabled=w.enabled,
            allowed_cidr=w.allowed_cidr,
            has_secret=w.has_secret,
            created_at=ts(w.created_at),
            updated_at=ts(w.updated_at),
        )


class CreatedWebhook(Webhook):
    secret: str | None = Field(
        description="the generated secret, shown in this answer only (null when you gave one)"
    )


class WebhookList(Out):
    items: list[Webhook]


class WebhookDelivery(Out):
    """One event to one webhook: its state and its last attempt."""

    id: int
    webhook_id: int
    event_id: str
    event_type: str
    status: Literal["pending", "sent", "dead"]
    attempts: int
    last_error: str
    last_status_code: int | None
    last_latency_ms: int | None
    last_response: str = Field(description="the first 512 bytes of the last answer")
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def from_pb(cls, d: n_pb.WebhookDelivery) -> WebhookDelivery:
        return cls.of(
            id=d.id,
            webhook_id=d.webhook_id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            last_error=d.last_error,
            last_status_code=d.last_status_code or None,
            last_latency_ms=d.last_latency_ms if d.attempts else None,
            last_response=d.last_response,
            created_at=ts(d.created_at),
            updated_at=ts(d.updated_at),
        )


class WebhookDeliveryList(Page):
    items: list[WebhookDelivery]


class Event(Out):
    """A fact as webhooks send it: ``id`` is stable (receivers dedupe by it)."""

    id: str
    type: str
    occurred_at: Timestamp | None
    data: dict[str, Any] = Field(description="the resource as the REST API shows it (docs/webhooks.md)")

    @classmethod
    def from_pb(cls, e: n_pb.FeedEvent) -> Event:
        return cls.of(
            id=e.id, type=e.type, occurred_at=ts(e.occurred_at), data=orjson.loads(e.data_json or "{}")
        )


class EventList(Out):
    items: list[Event]
    next: int = Field(description="pass as ?after= for the events after these (also when none came)")
