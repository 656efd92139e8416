"""REST for outgoing webhooks (administrators; ``/api/v1/webhooks``: CRUD, delivery log,
``POST /{id}/test``, ``POST /{id}/deliveries/{delivery_id}/redeliver``) and the events
feed (``GET /api/v1/events``, anyone: the events of what he may see). docs/webhooks.md.

Handlers translate HTTP ⇄ gRPC; notify checks the admin flag, the URL's address and the
caller's visibility.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.notify.v1 import notify_pb2_grpc as n_grpc
from pydantic import Field

from helpdesk_gateway.api.models.webhooks import (
    CreatedWebhook,
    Event,
    EventList,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookList,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, MAX_ID, Id, IdPath, line
from helpdesk_gateway.auth import AdminDep, CallerDep

router = api_router(prefix="/api/v1")

EventType = Annotated[str, Field(min_length=1, max_length=100, pattern=LINE)]


def _stub(request: Request) -> n_grpc.NotifySettingsAsyncStub:
    stub: n_grpc.NotifySettingsAsyncStub = n_grpc.NotifySettingsStub(clients(request).channels["notify"])
    return stub


class WebhookIn(Strict):
    url: str = line(2000, min_length=1, description="http(s); internal addresses only inside allowed_cidr")
    events: list[EventType] = Field(
        min_length=1, max_length=50, description="event types: ticket.created, sla.breached, ..."
    )
    unit_ids: list[Id] = Field(default_factory=list, max_length=100, description="empty = every unit")
    enabled: bool = True
    allowed_cidr: str = line(
        500, default="", description="comma-separated CIDRs an internal receiver may sit in"
    )
    secret: str | None = line(
        200, default=None, description="write-only; omitted: generated on create (shown once), kept on update"
    )

    def to_pb(self) -> n_pb.WebhookInput:
        return n_pb.WebhookInput(
            url=self.url,
            events=self.events,
            unit_ids=self.unit_ids,
            enabled=self.enabled,
            allowed_cidr=self.allowed_cidr,
            secret=self.secret or "",
            set_secret=self.secret is not None,
        )


@router.get("/webhooks")
async def list_webhooks(admin: AdminDep, request: Request) -> WebhookList:
    resp = await _stub(request).ListWebhooks(n_pb.ListWebhooksRequest())
    return WebhookList.of(items=[Webhook.from_pb(w) for w in resp.webhooks])


@router.post("/webhooks", status_code=201)
async def create_webhook(body: WebhookIn, admin: AdminDep, request: Request) -> CreatedWebhook:
    resp = await _stub(request).CreateWebhook(n_pb.CreateWebhookRequest(webhook=body.to_pb()))
    return CreatedWebhook.of(**Webhook.from_pb(resp.webhook).__dict__, secret=resp.secret or None)


@router.get("/webhooks/{webhook_id}")
async def get_webhook(webhook_id: IdPath, admin: AdminDep, request: Request) -> Webhook:
    return Webhook.from_pb(await _stub(request).GetWebhook(n_pb.WebhookRequest(webhook_id=webhook_id)))


@router.put("/webhooks/{webhook_id}")
async def update_webhook(webhook_id: IdPath, body: WebhookIn, admin: AdminDep, request: Request) -> Webhook:
    resp = await _stub(request).UpdateWebhook(
        n_pb.UpdateWebhookRequest(webhook_id=webhook_id, webhook=body.to_pb())
    )
    return Webhook.from_pb(resp)


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: IdPath, admin: AdminDep, request: Request) -> None:
    await _stub(request).DeleteWebhook(n_pb.WebhookRequest(webhook_id=webhook_id))


@router.get("/webhooks/{webhook_id}/deliveries")
async def webhook_deliveries(
    webhook_id: IdPath,
    admin: AdminDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> WebhookDeliveryList:
    resp = await _stub(request).ListWebhookDeliveries(
        n_pb.ListWebhookDeliveriesRequest(webhook_id=webhook_id, limit=limit, before_id=cursor or 0)
    )
    items = [WebhookDelivery.from_pb(d) for d in resp.deliveries]
    return WebhookDeliveryList.of(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.post("/webhooks/{webhook_id}/test", status_code=202)
async def test_webhook(webhook_id: IdPath, admin: AdminDep, request: Request) -> WebhookDelivery:
    """Queues a ``webhook.test`` event to this webhook alone; its delivery shows in the log."""
    return WebhookDelivery.from_pb(
        await _stub(request).TestWebhook(n_pb.WebhookRequest(webhook_id=webhook_id))
    )


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(
    webhook_id: IdPath, delivery_id: IdPath, admin: AdminDep, request: Request
) -> WebhookDelivery:
    """Sends the delivery's event again, as a new delivery (same event id)."""
    resp = await _stub(request).RedeliverWebhook(
        n_pb.RedeliverWebhookRequest(webhook_id=webhook_id, delivery_id=delivery_id)
    )
    return WebhookDelivery.from_pb(resp)


@router.get("/events")
async def events(
    caller: CallerDep,
    request: Request,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="the `next` of the page before; 0 = oldest kept")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventList:
    """The events webhooks send, kept for a while (HELPDESK_RETENTION_EVENTS_DAYS), of the
    tickets the caller may see (user events: administrators only), oldest first."""
    resp = await clients(request).notify.ListEvents(n_pb.ListEventsRequest(after=after, limit=limit))
    return EventList.of(items=[Event.from_pb(e) for e in resp.events], next=resp.next)
