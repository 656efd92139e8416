"""The facts notify publishes (stream NOTIFY, subjects ``notify.<Event>``): a pop-up was
created for a user (realtime shows it live)."""

from __future__ import annotations

from helpdesk.notify.v1 import events_pb2

from helpdesk_kit.streams import subject
from helpdesk_notify.store import Popup
from helpdesk_notify.wire import popup_to_pb

__all__ = ["SERVICE", "notification_created"]

SERVICE = "notify"


def notification_created(popup: Popup) -> tuple[str, events_pb2.NotificationCreated]:
    return subject(SERVICE, "NotificationCreated"), events_pb2.NotificationCreated(
        notification=popup_to_pb(popup)
    )
