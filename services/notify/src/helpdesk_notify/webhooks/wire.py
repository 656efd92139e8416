"""Webhooks, their deliveries and feed events ⇄ protobuf (helpdesk.notify.v1)."""

from __future__ import annotations

from typing import Any

import orjson
from helpdesk.notify.v1 import notify_pb2 as pb

from helpdesk_kit.timestamps import to_timestamp
from helpdesk_notify.webhooks.store import DeliveryRow, WebhookRow
from helpdesk_notify.webhooks.usecases import WebhookInput


def webhook_to_pb(w: WebhookRow) -> pb.Webhook:
    return pb.Webhook(
        id=w.id,
        url=w.url,
        events=w.events,
        unit_ids=w.unit_ids,
        enabled=w.enabled,
        allowed_cidr=w.allowed_cidr,
        has_secret=w.has_secret,
        created_at=to_timestamp(w.created_at),
        updated_at=to_timestamp(w.updated_at),
    )


def webhook_input(w: pb.WebhookInput, *, creating: bool) -> WebhookInput:
    secret: str | None = w.secret if w.set_secret else None
    if creating and secret == "":
        secret = None  # an empty secret asks for a generated one
    return WebhookInput(
        url=w.url,
        events=list(w.events),
        unit_ids=list(w.unit_ids),
        enabled=w.enabled,
        allowed_cidr=w.allowed_cidr,
        secret=secret,
    )


def delivery_to_pb(d: DeliveryRow) -> pb.WebhookDelivery:
    return pb.WebhookDelivery(
        id=d.id,
        webhook_id=d.webhook_id,
        event_id=d.event_id,
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,
        last_error=d.last_error,
        last_status_code=d.last_status_code,
        last_latency_ms=d.last_latency_ms,
        last_response=d.last_response,
        created_at=to_timestamp(d.created_at),
        updated_at=to_timestamp(d.updated_at),
    )


def feed_event_to_pb(e: dict[str, Any]) -> pb.FeedEvent:
    data = e["data"]
    return pb.FeedEvent(
        seq=e["seq"],
        id=e["event_id"],
        type=e["type"],
        occurred_at=to_timestamp(e["occurred_at"]),
        data_json=data if isinstance(data, str) else orjson.dumps(data).decode(),
    )
