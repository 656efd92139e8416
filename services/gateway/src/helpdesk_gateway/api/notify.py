"""REST for notify: the caller's web pop-ups (docs/api-conventions.md § Route table).

Settings, dead letters and mailings are in ``notify_settings``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse
from helpdesk.notify.v1 import notify_pb2 as n_pb

from helpdesk_gateway.api import notify_settings
from helpdesk_gateway.api.shapes import clients, page, ts
from helpdesk_gateway.auth import CallerDep

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)
router.include_router(notify_settings.router)


def notification_out(n: n_pb.Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "event": n.event,
        "title": n.title,
        "body": n.body,
        "ticket_id": n.ticket_id or None,
        "created_at": ts(n.created_at),
        "is_read": n.is_read,
    }


@router.get("/me/notifications", response_model=None)
async def my_notifications(
    caller: CallerDep, request: Request, limit: int = 50, cursor: int | None = None
) -> dict[str, Any]:
    limit = min(max(limit, 1), 200)
    resp = await clients(request).notify.ListNotifications(
        n_pb.ListNotificationsRequest(limit=limit, before_id=cursor or 0)
    )
    items = [notification_out(n) for n in resp.notifications]
    next_cursor = str(items[-1]["id"]) if len(items) == limit else None
    return page(items, next_cursor)


@router.post("/me/notifications/{notification_id}/read", response_model=None, status_code=204)
async def mark_read(notification_id: int, caller: CallerDep, request: Request) -> None:
    await clients(request).notify.MarkRead(n_pb.MarkReadRequest(notification_id=notification_id))
