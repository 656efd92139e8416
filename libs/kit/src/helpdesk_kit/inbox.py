"""Idempotent consumers of JetStream events.

A durable pull consumer hands each message to its handler inside a unit of work
that also records ``(consumer, event id)`` in the inbox table; the message is
acked only after that commit. A redelivered event finds its inbox row and is
acked without running the handler again. A handler that fails is retried with
backoff (``nak`` with a delay); after ``max_deliveries`` attempts the event is
written to ``dead_letters`` and terminated, so one poisoned event cannot block
the rest.

Every ``measure_every`` seconds, whatever the handler is doing, the consumer asks
JetStream for its state: ``consumer_pending`` is the number of events it has not
finished (not yet delivered plus delivered and not yet acked), ``consumer_lag_seconds``
the age of the oldest of them (0 when there is none).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import trace
from prometheus_client import Counter, Gauge

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER, stream_name
from helpdesk_kit.tracing import extract_context

__all__ = [
    "Consumer",
    "Event",
    "Handler",
    "Route",
    "backoff_seconds",
]

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

CONSUMED = Counter("consumer_events_total", "Events handled", ["consumer", "outcome"])
DEAD_LETTERS = Counter("consumer_dead_letters_total", "Events given up on", ["consumer"])
PENDING = Gauge(
    "consumer_pending", "Events this consumer has not finished (undelivered + unacked)", ["consumer"]
)
LAG = Gauge("consumer_lag_seconds", "Age of the oldest event this consumer has not finished", ["consumer"])

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


def backoff_seconds(deliveries: int) -> float:
    return float(min(2 ** max(deliveries - 1, 0), 60))


class Consumer:
    """One durable consumer of one stream, dispatching by event type."""

    def __init__(
        self,
        *,
        name: str,
        db: Database,
        js: JetStreamContext,
        source_service: str,
        routes: list[Route],
        max_deliveries: int = 5,
        batch: int = 64,
        ack_wait: float = 30.0,
        measure_every: float = 5.0,
    ) -> None:
        self.name = name
        self._db = db
        self._js = js
        self._source = source_service
        self._routes = {r.message_type.DESCRIPTOR.full_name: r for r in routes}
        self._max = max_deliveries
        self._batch = batch
        self._ack_wait = ack_wait
        self._measure_every = measure_every
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def _filter_subjects(self) -> list[str]:
        return [f"{self._source}.{r.message_type.DESCRIPTOR.name}" for r in self._routes.values()]

    async def run(self) -> None:
        watcher = asyncio.create_task(self._watch(), name=f"consumer-{self.name}-metrics")
        delay = 0.2
        try:
            while not self._stopping.is_set():
                try:
                    await self._consume()
                except (NatsError, OSError, TimeoutError) as exc:
                    log.warning("consumer.failed", consumer=self.name, error=repr(exc))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        """Its own task: a handler that hangs must not freeze the gauges that reveal it."""
        while not self._stopping.is_set():
            try:
                await self.measure()
            except (NatsError, OSError, TimeoutError) as exc:
                log.debug("consumer.measure_failed", consumer=self.name, error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._measure_every)

    async def measure(self) -> None:
        """Sets ``consumer_pending`` and ``consumer_lag_seconds`` from JetStream's view."""
        stream = stream_name(self._source)
        try:
            info: ConsumerInfo = await self._js.consumer_info(stream, self.name)
        except NotFoundError:
            return  # not created yet: _consume creates it
        pending = (info.num_pending or 0) + (info.num_ack_pending or 0)
        PENDING.labels(self.name).set(pending)
        lag = 0.0
        if pending:
            floor = info.ack_floor.stream_seq if info.ack_floor and info.ack_floor.stream_seq else 0
            try:
                # The first message past the ack floor: the oldest not finished (or older, when
                # a subject this consumer does not read lies in between).
                oldest = await self._js.get_msg(stream, seq=floor + 1, next=True, subject=f"{self._source}.>")
            except NotFoundError:
                oldest = None
            if oldest is not None and oldest.time is not None:
                lag = max((datetime.now(UTC) - oldest.time).total_seconds(), 0.0)
        LAG.labels(self.name).set(lag)

    async def _consume(self) -> None:
        # The stream belongs to its publisher (only it may create or change it): until it
        # exists this fails and the loop above tries again.
        await self._js.stream_info(stream_name(self._source))
        sub = await self._js.pull_subscribe(
            subject="",
            durable=self.name,
            stream=stream_name(self._source),
            config=ConsumerConfig(
                durable_name=self.name,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._ack_wait,
                max_ack_pending=1000,
                filter_subjects=self._filter_subjects(),
            ),
        )
        while not self._stopping.is_set():
            try:
                msgs = await sub.fetch(self._batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            for msg in msgs:
                await self.handle(msg)

    async def handle(self, msg: Msg) -> None:
        headers = dict(msg.headers or {})
        event_type = headers.get(EVENT_TYPE_HEADER, "")
        event_id = headers.get(MSG_ID_HEADER) or f"{msg.metadata.stream}:{msg.metadata.sequence.stream}"
        route = self._routes.get(event_type)
        if route is None:
            await msg.ack()
            CONSUMED.labels(self.name, "ignored").inc()
            return
        deliveries = msg.metadata.num_delivered
        with tracer.start_as_current_span(
            f"{msg.subject} process",
            context=extract_context(headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.consumer": self.name, "messaging.message.id": event_id},
        ):
            try:
                message = route.message_type.FromString(msg.data)
                event = Event(
                    id=event_id, subject=msg.subject, type=event_type, message=message, headers=headers
                )
                outcome = await self._apply(route, event)
            # Any failure, a handler's bug included, is retried and then dead-lettered:
            # one bad event must neither kill the consumer nor block the others.
            except Exception as exc:  # noqa: BLE001
                await self._failed(msg, headers, event_id, event_type, deliveries, exc)
                return
        await msg.ack()
        CONSUMED.labels(self.name, outcome).inc()

    async def _apply(self, route: Route, event: Event[Any]) -> str:
        async with self._db.unit_of_work() as uow:
            fresh = await uow.conn.fetchval(
                "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                self.name,
                event.id,
            )
            if not fresh:
                return "duplicate"
            await route.handler(uow, event)
            await uow.commit()
        return "applied"

    async def _failed(
        self,
        msg: Msg,
        headers: dict[str, str],
        event_id: str,
        event_type: str,
        deliveries: int,
        exc: BaseException,
    ) -> None:
        if deliveries < self._max:
            log.warning(
                "consumer.retry",
                consumer=self.name,
                event_id=event_id,
                deliveries=deliveries,
                error=repr(exc),
            )
            CONSUMED.labels(self.name, "retried").inc()
            await msg.nak(delay=backoff_seconds(deliveries))
            return
        log.error("consumer.dead_letter", consumer=self.name, event_id=event_id, error=repr(exc))
        async with self._db.unit_of_work() as uow:
            await uow.conn.execute(
                "INSERT INTO dead_letters"
                " (consumer, event_id, subject, event_type, payload, headers, error, deliveries)"
                " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
                self.name,
                event_id,
                msg.subject,
                event_type,
                msg.data,
                orjson.dumps(headers).decode(),
                repr(exc),
                deliveries,
            )
            await uow.commit()
        DEAD_LETTERS.labels(self.name).inc()
        await msg.term()
