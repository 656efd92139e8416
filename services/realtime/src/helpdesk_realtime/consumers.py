"""The events realtime consumes, turned into socket messages for whoever may see them.

- ``notify.NotificationCreated`` → ``notification`` (a pop-up) for its user;
- ``tickets.*`` → ``ticket.updated`` (``counts_changed``: the counters hint) for
  everyone who may see the ticket after the change: the audience the event carries,
  listed by tickets' visibility rule (docs/product/roles.md § Visibility);
- ``sla.SlaWarning`` / ``sla.SlaBreached`` → ``counters`` for those who see the ticket;
- ``realtime.presence`` (core NATS, between replicas) → ``presence`` to the
  sockets of this replica that have the ticket open.

Every replica subscribes to the subjects itself (no queue group), because a
user's sockets may be on any replica. Each event is first recorded in the
shared journal (one id on every replica, for resume), then delivered. When the
journal (Redis) is unreachable, events are still delivered live, without id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson
from google.protobuf.message import DecodeError, Message
from helpdesk.notify.v1 import events_pb2 as notify_events
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as ticket_events
from helpdesk.tickets.v1 import tickets_pb2
from nats.aio.msg import Msg
from opentelemetry import trace

from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import MSG_ID_HEADER, subject
from helpdesk_kit.tracing import extract_context, is_enabled
from helpdesk_realtime.domain import Audience, TicketAudience
from helpdesk_realtime.hub import Hub
from helpdesk_realtime.journal import Journal

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

NOTIFICATION_CREATED = subject("notify", "NotificationCreated")
TICKET_EVENTS = "tickets.>"
SLA_EVENTS = ("sla.SlaWarning", "sla.SlaBreached")
PRESENCE = "realtime.presence"

# Ticket events after which inbox / in-work counts may differ.
_COUNT_CHANGING = {
    "TicketCreated",
    "TicketTaken",
    "TicketReleased",
    "TicketCompleted",
    "TicketReopened",
    "TicketForwarded",
    "TicketArchived",
    "TicketDeleted",
}

Handler = Callable[[Msg], Awaitable[None]]
Decoded = tuple[Audience, list[dict[str, Any]]] | None


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


def ticket_message(name: str, ev: Any) -> dict[str, Any]:
    t = ev.ticket
    return {
        "type": "ticket.updated",
        "ticket_id": t.id,
        "event": name,
        "state": tickets_pb2.State.Name(t.state).removeprefix("STATE_").lower(),
        "version": t.version,
        "actor_id": ev.actor_id or None,
    }


def _span(msg: Msg) -> AbstractContextManager[object]:
    if not is_enabled():
        # Nobody exports spans: parsing the context and making a no-op span per event
        # would cost every event for nothing.
        return contextlib.nullcontext()
    return tracer.start_as_current_span(
        f"{msg.subject} process", context=extract_context(msg.headers), kind=trace.SpanKind.CONSUMER
    )


def source_key(msg: Msg) -> str:
    """What identifies one source event on every replica: its subject and outbox id."""
    msg_id = (msg.headers or {}).get(MSG_ID_HEADER)
    if not msg_id:
        msg_id = hashlib.sha256(msg.data).hexdigest()
    return f"{msg.subject}:{msg_id}"


class Dispatcher:
    """Records consumed events in the journal, in batches, and hands them to the hub in order.

    The NATS callbacks only queue the message; one worker takes whatever has
    queued up (up to ``BATCH``), records it in one Redis round trip and delivers
    it. So throughput does not depend on Redis's latency, and events reach the
    sockets in the order they were received.
    """

    BATCH = 256

    def __init__(
        self, hub: Hub, journal: Journal, tickets: TicketAudiences, *, queue_size: int = 10_000
    ) -> None:
        self.hub = hub
        self.journal = journal
        self.tickets = tickets
        self._queue: asyncio.Queue[tuple[Msg, Callable[[Msg], Awaitable[Decoded]]]] = asyncio.Queue(
            queue_size
        )

    def handler(self, decode: Callable[[Msg], Awaitable[Decoded]]) -> Handler:
        async def handle(msg: Msg) -> None:
            await self._queue.put((msg, decode))

        return handle

    async def run(self) -> None:
        """The worker: until cancelled."""
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < self.BATCH:
                batch.append(self._queue.get_nowait())
            await self._process(batch)

    async def _process(self, batch: list[tuple[Msg, Callable[[Msg], Awaitable[Decoded]]]]) -> None:
        decoded: list[tuple[str, Audience, list[dict[str, Any]]]] = []
        for msg, decode in batch:
            with _span(msg):
                try:
                    d = await decode(msg)
                except DecodeError:
                    log.warning("realtime.bad_event", subject=msg.subject)
                    continue
            if d is not None:
                decoded.append((source_key(msg), *d))
        if not decoded:
            return
        ids: list[int | None]
        try:
            ids = list(await self.journal.record_many(decoded, also_set=self.tickets.take_pending()))
        except Exception as exc:  # noqa: BLE001 - Redis down: live delivery matters more than resume
            log.warning("realtime.journal_unavailable", error=str(exc))
            ids = [None] * len(decoded)
        for event_id, (_, audience, messages) in zip(ids, decoded, strict=True):
            self.hub.deliver_entry(event_id, audience, messages)
            await asyncio.sleep(0)  # let the sockets' pumps send before the next event queues

    async def decode_notification(self, msg: Msg) -> Decoded:
        n = notify_events.NotificationCreated.FromString(msg.data).notification
        return n.user_id, [notification_event(n)]

    async def decode_ticket_event(self, msg: Msg) -> Decoded:
        name = msg.subject.rsplit(".", 1)[-1]
        cls: type[Message] | None = getattr(ticket_events, name, None)
        if cls is None:
            return None
        ev: Any = cls.FromString(msg.data)
        ticket_id = ev.ticket_id if name == "TicketDeleted" else ev.ticket.id
        if ev.HasField("audience"):
            audience: TicketAudience | None = TicketAudience.from_pb(ticket_id, ev.audience)
        else:  # published by a tickets service older than audiences in events
            log.warning("realtime.event_without_audience", subject=msg.subject)
            audience = await self.tickets.get(ticket_id)
        if audience is None:
            return None
        if name == "TicketDeleted":
            message = {
                "type": "ticket.updated",
                "ticket_id": ticket_id,
                "event": name,
                "deleted": True,
                "counts_changed": True,
            }
            return audience, [message]
        await self.tickets.put(audience)
        # an internal note is staff's business: no client's socket hears of it
        told = audience.without_clients() if name == "TicketCommented" and ev.internal else audience
        # one frame per change: "counts_changed" is the counters hint (refetch the counts)
        return told, [{**ticket_message(name, ev), "counts_changed": name in _COUNT_CHANGING}]

    async def decode_sla_event(self, msg: Msg) -> Decoded:
        name = msg.subject.rsplit(".", 1)[-1]
        cls: Any = sla_events.SlaWarning if name == "SlaWarning" else sla_events.SlaBreached
        ev = cls.FromString(msg.data)
        # The ticket's audience from its last event; unknown (older than the cache), the
        # event's unit and assignees, a part of the audience, stand in for it.
        audience = await self.tickets.get(ev.ticket_id) or TicketAudience(
            ticket_id=ev.ticket_id,
            staff_user_ids=frozenset(ev.assignee_ids),
            head_unit_ids=frozenset({ev.unit_id}),
            member_unit_ids=frozenset() if ev.assignee_ids else frozenset({ev.unit_id}),
        )
        # clients never see SLA figures: only staff who see the ticket are told
        reason = "sla_warning" if name == "SlaWarning" else "sla_breached"
        return audience.without_clients(), [{"type": "counters", "ticket_id": ev.ticket_id, "reason": reason}]


class TicketAudiences:
    """The last known audience of each ticket, for events that carry none (SLA events).

    Kept in this process (bounded) and in Redis (for other replicas and restarts);
    writes go to Redis with the next journal batch.
    """

    PREFIX = "realtime:ticket:"
    LOCAL_MAX = 100_000

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._local: OrderedDict[int, TicketAudience] = OrderedDict()
        self._pending: dict[str, bytes] = {}

    async def put(self, audience: TicketAudience) -> None:
        self._local[audience.ticket_id] = audience
        self._local.move_to_end(audience.ticket_id)
        if len(self._local) > self.LOCAL_MAX:
            self._local.popitem(last=False)
        self._pending[f"{self.PREFIX}{audience.ticket_id}"] = orjson.dumps(audience.to_json())

    def take_pending(self) -> dict[str, bytes]:
        pending, self._pending = self._pending, {}
        return pending

    async def get(self, ticket_id: int) -> TicketAudience | None:
        known = self._local.get(ticket_id)
        if known is not None:
            return known
        try:
            raw = await self._redis.get(f"{self.PREFIX}{ticket_id}")
        except Exception as exc:  # noqa: BLE001 - degrade, never crash the socket or the loop
            log.warning("realtime.redis_unavailable", error=str(exc))
            return None
        if not raw:
            return None
        try:
            return TicketAudience.from_json(orjson.loads(raw))
        except (KeyError, TypeError, ValueError):  # stored by an older realtime: unknown
            return None


def on_presence(hub: Hub) -> Handler:
    """A presence change on any replica → this replica's sockets on that ticket."""

    async def handle(msg: Msg) -> None:
        try:
            body = orjson.loads(msg.data)
            ticket_id = int(body["ticket_id"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("realtime.bad_presence")
            return
        text = orjson.dumps({"type": "presence", "ticket_id": ticket_id, "viewers": body["viewers"]}).decode()
        for conn in hub.viewers_of(ticket_id):
            conn.offer(text)

    return handle
