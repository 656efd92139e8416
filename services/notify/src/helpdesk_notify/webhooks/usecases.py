"""What the admin API and the events feed ask of webhooks, and what consumers record.

Administrators only, but the feed (anyone, filtered by what he may see). A URL is
checked when saved (``addresses``: refused addresses are a 422 on ``url``) and again
at every send. The secret is write-only: generated when a webhook is created without
one and shown in that answer only; sealed at rest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson
from google.protobuf.message import Message

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import FieldError
from helpdesk_kit.resources import user_fields
from helpdesk_kit.trust import UserClaims
from helpdesk_notify.errors import AdminOnly, InvalidWebhook, WebhookNotFound
from helpdesk_notify.webhooks import addresses, kinds, signing, store
from helpdesk_notify.webhooks.addresses import AddressGuard, UrlRefused
from helpdesk_notify.webhooks.store import DeliveryRow, WebhookRow, WebhookValues

MAX_URL = 2000
FEED_LIMIT = 500


def _admin(user: UserClaims) -> None:
    if not user.is_admin:
        raise AdminOnly()


@dataclass(frozen=True)
class WebhookInput:
    url: str
    events: list[str]
    unit_ids: list[int]
    enabled: bool
    allowed_cidr: str
    secret: str | None  # None: keep (a new webhook gets a generated one)


async def _checked(guard: AddressGuard, w: WebhookInput) -> WebhookValues:
    errors: list[FieldError] = []
    unknown = sorted(set(w.events) - set(kinds.TYPES))
    if not w.events:
        errors.append(FieldError("events", "name at least one event type"))
    elif unknown:
        errors.append(FieldError("events", f"unknown event types: {', '.join(unknown)}"))
    if any(u <= 0 for u in w.unit_ids):
        errors.append(FieldError("unit_ids", "unit ids are positive"))
    allowed: tuple[addresses.Network, ...] = ()
    try:
        allowed = addresses.parse_networks(w.allowed_cidr)
    except ValueError as exc:
        errors.append(FieldError("allowed_cidr", f"a CIDR range such as 10.1.2.0/24: {exc}"))
    if w.secret is not None and not 16 <= len(w.secret) <= 200:
        errors.append(FieldError("secret", "between 16 and 200 characters"))
    if len(w.url) > MAX_URL or any(ord(c) < 33 for c in w.url):
        errors.append(FieldError("url", "an http(s) URL without spaces or control characters"))
    elif not errors:
        try:
            await guard.target(w.url, allowed)
        except UrlRefused as exc:
            errors.append(FieldError("url", str(exc), code="address_refused"))
    if errors:
        raise InvalidWebhook("Invalid webhook.", errors=errors)
    return WebhookValues(
        url=w.url,
        events=sorted(set(w.events)),
        unit_ids=sorted(set(w.unit_ids)),
        enabled=w.enabled,
        allowed_cidr=",".join(str(n) for n in allowed),
    )


async def list_webhooks(db: Database, user: UserClaims) -> list[WebhookRow]:
    _admin(user)
    async with db.unit_of_work() as uow:
        return await store.list_webhooks(uow.conn)


async def get_webhook(db: Database, user: UserClaims, webhook_id: int) -> WebhookRow:
    _admin(user)
    async with db.unit_of_work() as uow:
        row = await store.get_webhook(uow.conn, webhook_id)
    if row is None:
        raise WebhookNotFound()
    return row


async def create_webhook(
    db: Database, guard: AddressGuard, user: UserClaims, w: WebhookInput
) -> tuple[WebhookRow, str]:
    """The webhook and its secret when notify generated it ("" when the admin gave one)."""
    _admin(user)
    values = await _checked(guard, w)
    generated = "" if w.secret is not None else signing.new_secret()
    async with db.unit_of_work() as uow:
        row = await store.insert_webhook(uow.conn, values, w.secret or generated)
        await uow.commit()
    return row, generated


async def update_webhook(
    db: Database, guard: AddressGuard, user: UserClaims, webhook_id: int, w: WebhookInput
) -> WebhookRow:
    _admin(user)
    values = await _checked(guard, w)
    async with db.unit_of_work() as uow:
        row = await store.update_webhook(uow.conn, webhook_id, values, w.secret)
        await uow.commit()
    if row is None:
        raise WebhookNotFound()
    return row


async def delete_webhook(db: Database, user: UserClaims, webhook_id: int) -> WebhookRow:
    _admin(user)
    async with db.unit_of_work() as uow:
        row = await store.delete_webhook(uow.conn, webhook_id)
        await uow.commit()
    if row is None:
        raise WebhookNotFound()
    return row


async def deliveries(
    db: Database, user: UserClaims, webhook_id: int, *, limit: int, before_id: int | None
) -> list[DeliveryRow]:
    await get_webhook(db, user, webhook_id)
    async with db.unit_of_work() as uow:
        return await store.list_deliveries(uow.conn, webhook_id, limit=limit, before_id=before_id)


async def _delivery(db: Database, delivery_id: int | None) -> DeliveryRow:
    async with db.unit_of_work() as uow:
        row = await store.get_delivery(uow.conn, delivery_id) if delivery_id else None
    if row is None:
        raise WebhookNotFound("No such delivery.")
    return row


async def queue_test_event(db: Database, user: UserClaims, webhook_id: int) -> DeliveryRow:
    """Queues a ``webhook.test`` event to this webhook alone (a disabled webhook sends
    nothing: the delivery waits until it is switched on)."""
    await get_webhook(db, user, webhook_id)
    async with db.unit_of_work() as uow:
        new_id = await store.queue_test(uow.conn, webhook_id, str(uuid.uuid4()), {"webhook_id": webhook_id})
        await uow.commit()
    return await _delivery(db, new_id)


async def redeliver(db: Database, user: UserClaims, webhook_id: int, delivery_id: int) -> DeliveryRow:
    await get_webhook(db, user, webhook_id)
    async with db.unit_of_work() as uow:
        new_id = await store.redeliver(uow.conn, webhook_id, delivery_id)
        await uow.commit()
    return await _delivery(db, new_id)


class Users(Protocol):
    """identity's user as it is now (None: there is no such user any more)."""

    async def user_record(self, user_id: int) -> Any: ...


async def record(uow: UnitOfWork, event_id: str, message: Message, users: Users | None = None) -> None:
    """In the consumer's transaction: the fact into the feed, and a delivery to each
    webhook that wants it (once, however often the fact arrives). A user event carries only
    the user's id: the user as the REST API shows him is asked of identity (``users``)."""
    event = kinds.feed_event(event_id, message)
    if event is None:
        return
    if users is not None and event.type.startswith("user."):
        user = await users.user_record(int(event.data["id"]))
        if user is not None:
            event = replace(event, data=user_fields(user))
    await store.record_event(uow.conn, event)  # and queued for the webhooks that want it


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    next: int


async def list_events(db: Database, user: UserClaims, *, after: int, limit: int) -> FeedPage:
    reader = store.Reader(
        user_id=user.user_id,
        is_admin=user.is_admin,
        is_client=user.kind == "client",
        role=user.role or "",
        unit_ids=list(user.unit_ids),
        client_group_id=user.client_group_id,
        is_client_group_lead=user.is_client_group_lead,
    )
    async with db.unit_of_work() as uow:
        rows = await store.list_events(uow.conn, reader, after=after, limit=max(1, min(limit, FEED_LIMIT)))
    events = [dict(r) for r in rows]
    if reader.is_client:
        events = [_for_clients(e) for e in events]
    return FeedPage(events, events[-1]["seq"] if events else after)


def _for_clients(event: dict[str, Any]) -> dict[str, Any]:
    """A ticket's event carries every custom field; tickets shows clients only those marked
    visible to them, which notify does not know: clients get none in the feed."""
    data = orjson.loads(event["data"]) if isinstance(event["data"], str | bytes) else event["data"]
    if "custom_fields" not in data:
        return event
    return {**event, "data": {**data, "custom_fields": {}}}
