"""Domain ⇄ protobuf: a pop-up as gRPC answers it and ``NotificationCreated`` carries it."""

from __future__ import annotations

from helpdesk.notify.v1 import notify_pb2

from helpdesk_kit.timestamps import to_timestamp
from helpdesk_notify.store import Popup

__all__ = ["popup_to_pb"]


def popup_to_pb(p: Popup) -> notify_pb2.Notification:
    return notify_pb2.Notification(
        id=p.id,
        user_id=p.user_id,
        event=p.event,
        title=p.title,
        body=p.body,
        ticket_id=p.ticket_id or 0,
        created_at=to_timestamp(p.created_at),
        is_read=p.is_read,
    )
