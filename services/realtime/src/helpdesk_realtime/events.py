"""What realtime consumes: pop-ups stored by notify, pushed to their user's sockets.

Every replica subscribes to the subject itself (no queue group), because a
user's sockets may be on any replica.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError
from helpdesk.notify.v1 import events_pb2 as notify_events
from nats.aio.msg import Msg
from opentelemetry import trace

from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import subject
from helpdesk_kit.tracing import extract_context
from helpdesk_realtime.hub import Hub

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

NOTIFICATION_CREATED = subject("notify", "NotificationCreated")


def notification_event(n: Any) -> dict[str, Any]:
    return {
        "type": "notification",
        "id": n.id,
        "event": n.event,
        "title": n.title,
        "body": n.body,
        "ticket_id": n.ticket_id or None,
        "created_at": n.created_at.ToJsonString(),
    }


def on_notification(hub: Hub) -> Any:
    async def handle(msg: Msg) -> None:
        with tracer.start_as_current_span(
            f"{msg.subject} process", context=extract_context(msg.headers), kind=trace.SpanKind.CONSUMER
        ):
            try:
                n = notify_events.NotificationCreated.FromString(msg.data).notification
            except DecodeError:
                log.warning("realtime.bad_event", subject=msg.subject)
                return
            hub.deliver(n.user_id, notification_event(n))

    return handle
