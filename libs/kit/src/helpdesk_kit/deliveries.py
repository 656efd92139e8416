"""What a consumer is handed: the event a handler sees, the route that picks the handler by
event type, and a fetched message read once (its id and type from the headers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from nats.aio.msg import Msg

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER

__all__ = ["Delivery", "Event", "Handler", "Route"]

M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class Event(Generic[M]):
    id: str
    subject: str
    type: str
    message: M
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[UnitOfWork, Event[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    message_type: type[Message]
    handler: Handler


@dataclass(frozen=True)
class Delivery:
    """A fetched message and what its headers say, before it is applied."""

    msg: Msg
    headers: dict[str, str]
    event_type: str
    event_id: str

    @classmethod
    def of(cls, msg: Msg) -> Delivery:
        headers = dict(msg.headers or {})
        return cls(
            msg=msg,
            headers=headers,
            event_type=headers.get(EVENT_TYPE_HEADER, ""),
            event_id=headers.get(MSG_ID_HEADER) or f"{msg.metadata.stream}:{msg.metadata.sequence.stream}",
        )

    def event(self, route: Route) -> Event[Any]:
        return Event(
            id=self.event_id,
            subject=self.msg.subject,
            type=self.event_type,
            message=route.message_type.FromString(self.msg.data),
            headers=self.headers,
        )
