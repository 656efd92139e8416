"""The outbox relay: the only code that publishes a service's events to NATS.

Events are written by :meth:`UnitOfWork.record_event` in the same transaction as
the change they describe. The relay publishes them in id order with
``Nats-Msg-Id`` = the outbox id, a batch at a time without waiting for each ack
(the acks are awaited together), and deletes a row only after JetStream
acknowledged it and every row before it. A crash between publish and delete re-publishes the row on
restart; JetStream's duplicate window drops the copy, and consumers' inboxes
would drop it anyway. One relay per service is active at a time (a session
advisory lock), so several replicas still publish in order.

Waking the relay: after a commit that wrote events, the unit of work tells this process's
relay (``Database.events_committed``). The leader wakes at once; a replica that does not
lead sends the leader one NOTIFY, outside the transaction, for however many commits it made
while the last one was on its way. A NOTIFY inside each transaction would make every
creating commit of the database queue for one lock while the commit before it flushes
(docs/adr/0014). Whatever wake-up is lost, the leader's poll every ``idle_poll_seconds``
finds the rows.

The relay waits for the next wake-up (or ``idle_poll_seconds``): a lone event is published
as soon as it is committed. After a batch of more than one row, which means commits are
coming close together, it waits ``LINGER_SECONDS`` so that the next few share one read and
one delete.

``outbox_pending`` is the exact number of events not yet published (the rows of
a batch when they all fit in one, else ``count(*)`` at most every
``COUNT_EVERY_SECONDS``), ``outbox_oldest_pending_seconds`` the age of the oldest;
both are measured by the leading relay, and by every replica while publishing fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from opentelemetry import trace
from prometheus_client import Counter, Gauge

from helpdesk_kit.db import Database, outbox_channel
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER, ensure_stream
from helpdesk_kit.tracing import extract_context, inject_headers, is_enabled

__all__ = ["OutboxRelay"]

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

OUTBOX_PENDING = Gauge("outbox_pending", "Events committed but not yet published", ["service"])
OUTBOX_OLDEST = Gauge(
    "outbox_oldest_pending_seconds", "Age of the oldest event not yet published (0: none)", ["service"]
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published to NATS", ["service"])

BATCH = 500
# After a batch of more than one row but smaller than BATCH, the relay waits this long
# before it reads again.
LINGER_SECONDS = 0.005
# A backlog larger than a batch is counted with count(*) at most this often.
COUNT_EVERY_SECONDS = 5.0


class OutboxRelay:
    def __init__(
        self,
        *,
        db: Database,
        js: JetStreamContext,
        service: str,
        idle_poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
        batch: int = BATCH,
        linger_seconds: float = LINGER_SECONDS,
    ) -> None:
        self._db = db
        self._js = js
        self._service = service
        self._idle = idle_poll_seconds
        self._publish_timeout = publish_timeout
        self._batch = batch
        self._linger = linger_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._counted_at = -COUNT_EVERY_SECONDS
        self._leading = False
        self._notifying: asyncio.Task[None] | None = None
        self._notify_again = False
        db.events_committed = self.events_committed

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._db.events_committed == self.events_committed:
            self._db.events_committed = None  # later commits NOTIFY in their transaction

    def events_committed(self) -> None:
        """Told by the unit of work after each commit that wrote events (``Database.
        events_committed``): wakes this relay when it leads; else tells the leading replica
        with one NOTIFY for any number of commits made while one is on its way. Should this
        process die before it is sent, the leader's poll (``idle_poll_seconds``) finds the rows."""
        if self._leading:
            self._wake.set()
        elif self._notifying is not None and not self._notifying.done():
            self._notify_again = True
        else:
            self._notifying = asyncio.get_running_loop().create_task(self._notify_leader())

    async def _notify_leader(self) -> None:
        again = True
        while again:
            self._notify_again = False
            try:
                await self._db.pool.execute("SELECT pg_notify($1, '')", outbox_channel(self._db.schema))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox.notify_failed", error=repr(exc))  # the leader's poll finds them
                return
            again = self._notify_again

    async def run(self) -> None:
        """Runs until stopped, surviving losses of the database and of NATS."""
        delay = 0.2
        while not self._stopping.is_set():
            try:
                await self._run_as_leader()
                delay = 0.2
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, NatsError, TimeoutError) as exc:
                log.warning("outbox.relay_failed", error=repr(exc), retry_in=round(delay, 2))
                await self._measure_backlog()
                await self._sleep(delay)
                delay = min(delay * 2, 5.0) * (0.8 + random.random() * 0.4)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _run_as_leader(self) -> None:
        await ensure_stream(self._js, self._service)
        conn = await self._db.connection()
        try:
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", f"outbox:{self._db.schema}"
            ):
                if self._stopping.is_set():
                    return
                await self._sleep(self._idle)
            await conn.add_listener(outbox_channel(self._db.schema), self._on_notify)
            log.info("outbox.relay_leading", service=self._service)
            self._leading = True
            while not self._stopping.is_set():
                published = await self._publish_batch(conn)
                if published >= self._batch:
                    continue  # a backlog: the next batch at once
                if published > 1 and self._linger:
                    # Under load every commit wakes the relay: a moment's wait lets the next
                    # few commits join the next batch (one read, one delete) instead.
                    await asyncio.sleep(self._linger)
                elif not self._wake.is_set():
                    # Nothing committed since the read (a NOTIFY would have set the wake,
                    # cleared just before it): wait for the next commit, not a fixed time, and
                    # spare the read that would find nothing.
                    await self._wait_for_commit()
        finally:
            self._leading = False
            await conn.close()

    async def _wait_for_commit(self) -> None:
        """Until a NOTIFY (or ``idle_poll_seconds``: a lost notification is found by then);
        unlike ``_sleep``, keeps a wake that came since the last read."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._idle)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _publish_batch(self, conn: asyncpg.Connection) -> int:
        # Clear before reading: a NOTIFY arriving during the batch wakes the next round.
        self._wake.clear()
        rows = await conn.fetch(
            "SELECT id, msg_id, subject, event_type, payload, headers, created_at"
            " FROM outbox ORDER BY id LIMIT $1",
            self._batch,
        )
        pending: int | None = len(rows)
        if len(rows) == self._batch:
            pending = None  # more than a batch: counted now and then, the last count stands between
            if time.monotonic() - self._counted_at >= COUNT_EVERY_SECONDS:
                pending = await conn.fetchval("SELECT count(*) FROM outbox")
                self._counted_at = time.monotonic()
        self._set_backlog(pending, rows[0]["created_at"] if rows else None)
        done: list[int] = []
        try:
            await self._publish_all(rows, done)
        finally:
            if done:
                await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", done)
                OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        return len(rows)

    async def _publish_all(self, rows: list[asyncpg.Record], done: list[int]) -> None:
        """Publishes the rows without waiting for each ack, then awaits the acks together.

        The messages leave in id order on one connection, so JetStream stores them in that
        order. ``done`` gets the ids of the acknowledged prefix only: from the first row
        without an ack on, the rows stay in the outbox and are published again (the copies
        of any that JetStream did store are dropped by their ``Nats-Msg-Id``).
        """
        acks: list[asyncio.Future[Any]] = []
        failure: BaseException | None = None
        try:
            for row in rows:
                acks.append(await self._publish(row))
            if acks:
                await asyncio.wait(acks, timeout=self._publish_timeout)
        finally:
            for row, ack in zip(rows, acks, strict=False):
                if not ack.done() or ack.cancelled() or ack.exception() is not None:
                    failure = ack.exception() if ack.done() and not ack.cancelled() else None
                    break
                done.append(row["id"])
            for ack in acks:
                if ack.done() and not ack.cancelled():
                    ack.exception()  # retrieved: a failed ack past the first is not logged as lost
                ack.cancel()  # frees the slot of an ack that never came
        if len(done) < len(rows):
            raise failure or TimeoutError(f"no ack from JetStream within {self._publish_timeout} s")

    def _set_backlog(self, pending: int | None, oldest: datetime | None) -> None:
        if pending is not None:
            OUTBOX_PENDING.labels(self._service).set(pending)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST.labels(self._service).set(max(age, 0.0))

    async def _measure_backlog(self) -> None:
        """While publishing fails the backlog grows: measure it through the pool, if it answers."""
        try:
            row = await self._db.pool.fetchrow(
                "SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox"
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RuntimeError):
            return  # the database is away too (or not yet connected): the gauges keep their values
        if row is not None:
            self._set_backlog(row["pending"], row["oldest"])

    async def _publish(self, row: asyncpg.Record) -> asyncio.Future[Any]:
        stored = orjson.loads(row["headers"])
        ids = {MSG_ID_HEADER: str(row["msg_id"]), EVENT_TYPE_HEADER: row["event_type"]}
        if not is_enabled():
            # Nobody exports spans: the context the event was recorded with travels as it
            # is (what a no-op span would pass on), without making one per event.
            return await self._send(row, {**stored, **ids})
        with tracer.start_as_current_span(
            f"{row['subject']} publish", context=extract_context(stored), kind=trace.SpanKind.PRODUCER
        ):
            return await self._send(row, {**ids, **inject_headers()})

    async def _send(self, row: asyncpg.Record, headers: dict[str, str]) -> asyncio.Future[Any]:
        return await self._js.publish_async(
            row["subject"], bytes(row["payload"]), headers=headers, wait_stall=self._publish_timeout
        )
