"""REST for notify: the caller's web pop-ups (docs/api-conventions.md § Route table).

Settings, dead letters and mailings are in ``notify_settings``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from helpdesk.notify.v1 import notify_pb2 as n_pb

from helpdesk_gateway.api import notify_settings
from helpdesk_gateway.api.models.notify import Notification, NotificationList
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.api.values import MAX_ID, IdPath
from helpdesk_gateway.auth import CallerDep

router = api_router(prefix="/api/v1")
router.include_router(notify_settings.router)

# Clamped into 1-200; a cursor is the last id of the page before.
Limit = Annotated[int, Query(description="clamped into 1-200")]
Before = Annotated[int | None, Query(gt=0, le=MAX_ID)]


@router.get("/me/notifications")
async def my_notifications(
    caller: CallerDep, request: Request, limit: Limit = 50, cursor: Before = None
) -> NotificationList:
    limit = min(max(limit, 1), 200)
    resp = await clients(request).notify.ListNotifications(
        n_pb.ListNotificationsRequest(limit=limit, before_id=cursor or 0)
    )
    items = [Notification.from_pb(n) for n in resp.notifications]
    return NotificationList.of(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.post("/me/notifications/{notification_id}/read", status_code=204)
async def mark_read(notification_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).notify.MarkRead(n_pb.MarkReadRequest(notification_id=notification_id))
