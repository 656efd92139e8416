"""Idempotent consumers of JetStream events.

A durable pull consumer hands each message to its handler inside a unit of work
that also records ``(consumer, event id)`` in the inbox table; the message is
acked only after that commit. A redelivered event finds its inbox row and is
acked without running the handler again.

Events are fetched in batches (up to ``batch``, whatever is waiting; after a batch of
more than one event that was not full — events arriving faster than one at a time — the
consumer waits ``linger`` seconds so that those close together are fetched together; a
lone event is followed by the next fetch at once), and a batch is applied in one
transaction: its inbox rows in one statement, then each handler in order, one commit,
then the acks. If any of it fails the batch is rolled back and handled again one event
at a time, so only the failing event is retried or parked. What the handlers recorded
is published at once: the unit of work tells the process's relay after the commit
(``Database.events_committed``, ADR 0014).

A handler that fails is retried (``nak`` with a delay), and what happens next
depends on why it failed (``helpdesk_kit.faults``):

- a transient failure (the database restarting, NATS away, another service
  unavailable, a timeout) is retried with growing delays, capped at
  ``transient_cap`` (5 min), for ``retry_horizon`` (24 h) since this consumer
  first saw the event fail — never parked before that;
- a poison event (it cannot be decoded, a rule refuses it, a bug) is parked in
  ``dead_letters`` after ``max_deliveries`` deliveries and terminated, so it
  cannot block the rest. Parked events can be listed and replayed (``parked``).

JetStream itself never gives up on a message (``max_deliver`` is unlimited): the
consumer decides. A long handler keeps its message with ``in_progress`` so that
``ack_wait`` does not redeliver it meanwhile. ``run`` outlives every transient
failure: it waits and subscribes again.

Every ``measure_every`` seconds, whatever the handler is doing, the consumer asks
JetStream for its state: ``consumer_pending`` is the number of events it has not
finished (not yet delivered plus delivered and not yet acked), ``consumer_lag_seconds``
the age of the oldest of them (0 when there is none).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import trace
from prometheus_client import Counter, Gauge

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.deliveries import Delivery, Event, Handler, Route
from helpdesk_kit.faults import backoff_seconds, is_transient, transient_delay
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import stream_name
from helpdesk_kit.tracing import extract_context, is_enabled

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


# Events whose failures this process is counting, at most this many (the rest start afresh).
_MAX_TRACKED = 10_000


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
        batch: int = 100,
        ack_wait: float = 30.0,
        measure_every: float = 5.0,
        retry_horizon: float = 24 * 3600.0,
        transient_cap: float = 300.0,
        linger: float = 0.01,
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
        self._horizon = retry_horizon
        self._transient_cap = transient_cap
        self._linger = linger
        # When this process first saw each failing event fail. JetStream's metadata gives
        # the time an event was stored, not first delivered (a consumer that was down for
        # a day would then give up at once); counting from our own first sight never
        # gives up early — a restart only starts the count again.
        self._first_failure: dict[str, float] = {}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def _filter_subjects(self) -> list[str]:
        return [f"{self._source}.{r.message_type.DESCRIPTOR.name}" for r in self._routes.values()]

    async def run(self) -> None:
        """Consumes until ``stop()``; a transient failure (NATS or the database restarting)
        is waited out and the subscription made again, never the end of the process."""
        watcher = asyncio.create_task(self._watch(), name=f"consumer-{self.name}-metrics")
        delay = 0.2
        try:
            while not self._stopping.is_set():
                try:
                    await self._consume()
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    log.warning("consumer.failed", consumer=self.name, error=repr(exc), retry_in=delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                    delay = min(delay * 2, 5.0)
                else:
                    delay = 0.2
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
        stream = stream_name(self._source)
        await self._js.stream_info(stream)
        # Created, or brought to this configuration (routes, ack_wait, max_deliver) if it exists.
        await self._js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=self.name,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._ack_wait,
                max_deliver=-1,  # the consumer decides when to give up, not JetStream
                max_ack_pending=1000,
                filter_subjects=self._filter_subjects(),
            ),
        )
        sub = await self._js.pull_subscribe_bind(durable=self.name, stream=stream)
        try:
            while not self._stopping.is_set():
                try:
                    msgs = await sub.fetch(self._batch, timeout=1.0)
                except (NatsTimeoutError, TimeoutError):
                    continue
                await self.handle_batch(msgs)
                if 1 < len(msgs) < self._batch and self._linger:
                    # More than one event came while the last batch was handled: they are
                    # arriving faster than one at a time, so a moment's wait lets those close
                    # behind share the next transaction. A batch of one means the events are
                    # sparse: waiting would only delay the next one, which the fetch takes
                    # the moment it is stored (a pop-up's path crosses two consumers).
                    await asyncio.sleep(self._linger)
        finally:
            with contextlib.suppress(NatsError):
                await sub.unsubscribe()

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Applies a fetched batch in one transaction, its inbox rows written in one statement.

        One commit and one round trip per batch instead of per event is most of what a
        consumer costs under load. If anything in the batch fails (a poison event, the
        database going away), the transaction is rolled back and the batch handled again
        one event at a time (``handle``): only the failing event is retried or parked,
        the others are applied, each exactly once and in their order.
        """
        if len(msgs) == 1:
            await self.handle(msgs[0])
            return
        batch = [Delivery.of(msg) for msg in msgs]
        try:
            async with self._keeping(*msgs):
                outcomes = await self._apply_batch(batch)
        # Whatever failed, the one-by-one path below decides per event what it means.
        except Exception as exc:  # noqa: BLE001
            log.info("consumer.batch_fallback", consumer=self.name, events=len(batch), error=repr(exc))
            for msg in msgs:
                await self.handle(msg)
            return
        for delivery, outcome in zip(batch, outcomes, strict=True):
            await delivery.msg.ack()
            self._first_failure.pop(delivery.event_id, None)
            CONSUMED.labels(self.name, outcome).inc()

    async def _apply_batch(self, batch: list[Delivery]) -> list[str]:
        routed = [d for d in batch if d.event_type in self._routes]
        async with self._db.unit_of_work() as uow:
            fresh = {
                row["event_id"]
                for row in await uow.conn.fetch(
                    "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::text[])"
                    " ON CONFLICT DO NOTHING RETURNING event_id",
                    self.name,
                    [d.event_id for d in routed],
                )
            }
            outcomes: list[str] = []
            for delivery in batch:
                route = self._routes.get(delivery.event_type)
                if route is None:
                    outcomes.append("ignored")
                elif delivery.event_id not in fresh:
                    outcomes.append("duplicate")  # applied before, or earlier in this batch
                else:
                    fresh.discard(delivery.event_id)
                    with self._span(delivery):
                        await route.handler(uow, delivery.event(route))
                    outcomes.append("applied")
            await uow.commit()
        return outcomes

    async def handle(self, msg: Msg) -> None:
        delivery = Delivery.of(msg)
        headers, event_type, event_id = delivery.headers, delivery.event_type, delivery.event_id
        route = self._routes.get(event_type)
        if route is None:
            await msg.ack()
            CONSUMED.labels(self.name, "ignored").inc()
            return
        deliveries = msg.metadata.num_delivered
        with self._span(delivery):
            try:
                event = delivery.event(route)
                async with self._keeping(msg):
                    outcome = await self._apply(route, event)
            # Any failure, a handler's bug included, is retried and then parked (poison) or
            # retried for hours (transient): one bad event must neither kill the consumer
            # nor block the others.
            except Exception as exc:  # noqa: BLE001
                await self._failed(msg, headers, event_id, event_type, deliveries, exc)
                return
        await msg.ack()
        self._first_failure.pop(event_id, None)
        CONSUMED.labels(self.name, outcome).inc()

    def _span(self, delivery: Delivery) -> AbstractContextManager[object]:
        if not is_enabled():
            # Nobody exports spans: parsing the context and making a no-op span per
            # event would be a few percent of a consumer's CPU for nothing.
            return contextlib.nullcontext()
        return tracer.start_as_current_span(
            f"{delivery.msg.subject} process",
            context=extract_context(delivery.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.consumer": self.name, "messaging.message.id": delivery.event_id},
        )

    @contextlib.asynccontextmanager
    async def _keeping(self, *msgs: Msg) -> AsyncIterator[None]:
        """While the handler runs, tells JetStream the messages are in progress, so a handler
        slower than ``ack_wait`` is not handed the same messages again meanwhile.

        A timer, not a task per batch: almost every batch is done long before the first
        beat, and a task made and cancelled per batch cost ~20 µs more than a timer."""
        loop = asyncio.get_running_loop()
        beats: list[asyncio.Task[None]] = []

        async def beat() -> None:
            with contextlib.suppress(NatsError):
                for msg in msgs:
                    await msg.in_progress()

        def due() -> None:
            beats.append(loop.create_task(beat()))
            timers.append(loop.call_later(self._ack_wait / 3, due))

        timers = [loop.call_later(self._ack_wait / 3, due)]
        try:
            yield
        finally:
            timers[-1].cancel()
            for task in beats:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _apply(self, route: Route, event: Event[Any]) -> str:
        async with self._db.unit_of_work() as uow:
            outcome = await self.apply(uow, event)
            await uow.commit()
        return outcome

    async def apply(self, uow: UnitOfWork, event: Event[Any]) -> str:
        """Runs ``event``'s handler in ``uow`` unless the inbox says it ran already.

        Returns ``applied`` or ``duplicate``; the caller commits. Also what a replay of a
        parked event goes through, so a replay never applies an event twice.
        """
        fresh = await uow.conn.fetchval(
            "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
            self.name,
            event.id,
        )
        if not fresh:
            return "duplicate"
        await self.route(event.type).handler(uow, event)
        return "applied"

    def route(self, event_type: str) -> Route:
        """The route of an event type (``KeyError`` if this consumer takes no such events)."""
        return self._routes[event_type]

    async def _failed(
        self,
        msg: Msg,
        headers: dict[str, str],
        event_id: str,
        event_type: str,
        deliveries: int,
        exc: BaseException,
    ) -> None:
        if is_transient(exc):
            first = self._first_seen(event_id)
            if time.time() - first < self._horizon:
                delay = transient_delay(deliveries, cap=self._transient_cap)
                log.warning(
                    "consumer.retry_transient",
                    consumer=self.name,
                    event_id=event_id,
                    deliveries=deliveries,
                    retry_in=round(delay, 1),
                    error=repr(exc),
                )
                CONSUMED.labels(self.name, "retried").inc()
                await msg.nak(delay=delay)
                return
            reason = f"still failing {self._horizon:.0f} s after its first failure: {exc!r}"
        elif deliveries < self._max:
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
        else:
            reason = repr(exc)
        await self._park(msg, headers, event_id, event_type, deliveries, reason)

    def _first_seen(self, event_id: str) -> float:
        if event_id not in self._first_failure and len(self._first_failure) >= _MAX_TRACKED:
            self._first_failure.clear()  # never gives up early: counts merely start again
        return self._first_failure.setdefault(event_id, time.time())

    async def _park(
        self, msg: Msg, headers: dict[str, str], event_id: str, event_type: str, deliveries: int, reason: str
    ) -> None:
        log.error("consumer.dead_letter", consumer=self.name, event_id=event_id, error=reason)
        try:
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
                    reason,
                    deliveries,
                )
                await uow.commit()
        except Exception as exc:
            if not is_transient(exc):
                raise
            # Cannot park it now (the database is away): keep it in JetStream and try later.
            await msg.nak(delay=transient_delay(deliveries, cap=self._transient_cap))
            return
        self._first_failure.pop(event_id, None)
        DEAD_LETTERS.labels(self.name).inc()
        await msg.term()
