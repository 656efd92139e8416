"""One worker per queued channel: takes due deliveries from PostgreSQL and sends them.

Deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` (up to ``per_transaction``
at a time), sent while the rows are locked, and marked sent (with a delivery-log
row) in that same transaction. Two workers never send the same row; a row marked
sent is never sent again. The one window left — the process dies after the server
accepted a mail and before the commit — resends at most that transaction's mails,
with the same ``Message-ID``, which receivers and our own mail-in can drop (see
ADR 0005). ``per_transaction=1`` shrinks that window to one mail at the price of
one commit (an fsync) per mail.

Each delivery is built and sent on its own, and its outcome recorded whatever it
is: a delivery that cannot be built or is refused never rolls back, blocks or
re-sends another one. A permanent failure makes it a dead letter at once; a
passing one is retried with backoff and jitter until ``RetryPolicy.horizon_seconds``
have gone by since its first attempt, then it becomes a dead letter. When the
channel as a whole fails (server unreachable, authentication refused, 5xx, a 429
from the provider), the worker's circuit opens: it waits, longer after each
failure in a row, before touching the next delivery, so an outage costs one
attempt per pause rather than one per queued row (``notify_channel_circuit_open``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from prometheus_client import Counter, Gauge

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain, store, usecases
from helpdesk_notify.channels import (
    ChannelDown,
    Permanent,
    PushbulletSession,
    Session,
    SmtpSession,
    Throttled,
    Transient,
)
from helpdesk_notify.domain import RetryPolicy

log = get_logger(__name__)
DELIVERED = Counter("notify_deliveries_total", "Deliveries by outcome", ["channel", "outcome"])
CIRCUIT_OPEN = Gauge(
    "notify_channel_circuit_open", "1 while a channel is paused after failing as a whole", ["channel"]
)
CIRCUIT_TRIPS = Counter("notify_channel_circuit_trips_total", "Times a channel was paused", ["channel"])

SessionFactory = Callable[[Database], Awaitable[Session | None]]

__all__ = ["ChannelWorker", "RetryPolicy", "pushbullet_session", "smtp_session"]


async def smtp_session(db: Database) -> Session | None:
    settings = await usecases.load_mail_settings(db)
    return SmtpSession(settings) if settings.enabled else None


async def pushbullet_session(db: Database) -> Session | None:
    settings = await usecases.load_pushbullet_settings(db)
    if not (settings.enabled and settings.access_token):
        return None
    return PushbulletSession(settings)


@dataclass(frozen=True)
class _Result:
    """What one attempt at one delivery came to."""

    outcome: str  # sent | retry | dead | throttled
    error: str = ""
    retry_in: float | None = None
    count_attempt: bool = True
    pause_channel: bool = False
    at_least: float = 0.0
    fresh_session: bool = False  # the session may be broken: the round ends, the next opens a new one

    @property
    def ends_round(self) -> bool:
        return self.pause_channel or self.fresh_session


class ChannelWorker:
    """Drains one channel's queue; ``run()`` until ``stop()``."""

    def __init__(
        self,
        *,
        db: Database,
        channel: str,
        session_factory: SessionFactory,
        policy: RetryPolicy | None = None,
        batch: int = 100,
        per_transaction: int = 20,
        idle_seconds: float = 0.5,
        circuit_base_seconds: float = 2.0,
        circuit_cap_seconds: float = 300.0,
    ) -> None:
        self.channel = channel
        self._db = db
        self._open = session_factory
        self._policy = policy or RetryPolicy()
        self._batch = batch
        self._per_tx = per_transaction
        self._idle = idle_seconds
        self._stopping = asyncio.Event()
        self.circuit = domain.Circuit(
            base=circuit_base_seconds, cap=circuit_cap_seconds, clock=time.monotonic
        )

    def stop(self) -> None:
        self._stopping.set()

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def run(self) -> None:
        while not self._stopping.is_set():
            paused = self.circuit.remaining()
            if paused > 0:
                await self._wait(paused)
                continue
            try:
                done = await self.run_once()
            # A worker must outlive any bad round (the database restarting, a bug in a
            # session): the channel pauses, longer each time, and tries again.
            except Exception as exc:  # noqa: BLE001
                self._trip(f"round failed: {exc!r}")
                continue
            if done < self._batch and not self.circuit.remaining():
                await self._wait(self._idle)

    def _trip(self, reason: str, at_least: float = 0.0) -> None:
        pause = self.circuit.trip(at_least)
        CIRCUIT_OPEN.labels(self.channel).set(1)
        CIRCUIT_TRIPS.labels(self.channel).inc()
        log.warning(
            "notify.channel_paused",
            channel=self.channel,
            seconds=round(pause, 2),
            failures=self.circuit.failures,
            reason=reason,
        )

    def _close_circuit(self) -> None:
        if self.circuit.is_open:
            log.info("notify.channel_resumed", channel=self.channel)
        self.circuit.close()
        CIRCUIT_OPEN.labels(self.channel).set(0)

    async def run_once(self) -> int:
        """Sends up to ``batch`` due deliveries; returns how many it handled (0: nothing due)."""
        try:
            session = await self._open(self._db)
        except ChannelDown as exc:  # e.g. settings that cannot work: the queue waits for a fix
            self._trip(str(exc))
            return 0
        if session is None:  # channel disabled: the queue waits
            return 0
        handled = 0
        try:
            while handled < self._batch and not self._stopping.is_set():
                results = await self._transaction(session)
                handled += len(results)
                if not results:
                    break
                last = results[-1]
                if last.pause_channel:
                    self._trip(last.error, last.at_least)
                    break  # the others wait until the channel's pause is over
                self._close_circuit()
                if last.ends_round:
                    break
        finally:
            await session.close()
        return handled

    async def _transaction(self, session: Session) -> list[_Result]:
        """Claims up to ``per_transaction`` rows, sends each on its own, records every
        outcome, commits once."""
        results: list[_Result] = []
        async with self._db.unit_of_work() as uow:
            claimed, now = await store.claim_due(uow.conn, self.channel, self._per_tx)
            for d in claimed:
                result = await self._attempt(session, d, now)
                await self._record(uow.conn, d, result)
                results.append(result)
                if result.ends_round:
                    break  # the rows not tried stay pending (their locks go with the commit)
            await uow.commit()
        for result in results:
            DELIVERED.labels(self.channel, result.outcome).inc()
        return results

    def _retry(
        self, d: store.Delivery, now: datetime, error: str, *, pause: bool, fresh: bool = False
    ) -> _Result:
        retry_in = domain.next_try(
            self._policy, attempts=d.attempts + 1, first_attempt_at=d.first_attempt_at, now=now
        )
        outcome = "retry" if retry_in is not None else "dead"
        return _Result(outcome, error, retry_in, pause_channel=pause, fresh_session=fresh)

    async def _attempt(self, session: Session, d: store.Delivery, now: datetime) -> _Result:
        try:
            await session.send(d)
        except Throttled as exc:
            return _Result(
                "throttled", str(exc), exc.retry_after, False, pause_channel=True, at_least=exc.retry_after
            )
        except Permanent as exc:
            return _Result("dead", str(exc))
        except ChannelDown as exc:
            return self._retry(d, now, str(exc), pause=True)
        except Transient as exc:
            return self._retry(d, now, str(exc), pause=False)
        # An error nobody sorted (a bug, a library's surprise) is this delivery's alone:
        # it is retried like a passing failure, and the next round opens a fresh session.
        except Exception as exc:
            log.exception("notify.delivery_crashed", channel=self.channel, delivery_id=d.id)
            return self._retry(d, now, f"unexpected: {exc!r}", pause=False, fresh=True)
        return _Result("sent")

    async def _record(self, conn: asyncpg.Connection, d: store.Delivery, r: _Result) -> None:
        if r.outcome == "sent":
            await store.mark_sent(conn, d.id)
            return
        log.warning(
            "notify.delivery_failed",
            channel=self.channel,
            delivery_id=d.id,
            outcome=r.outcome,
            error=r.error[:300],
        )
        try:
            # A savepoint: should this row's record fail, the rows sent before it in the
            # transaction keep theirs (rolling them back would send them again).
            async with conn.transaction():
                if r.outcome == "throttled":
                    await store.postpone_channel(conn, self.channel, r.at_least)
                await store.mark_failed(
                    conn, d.id, error=r.error, retry_in=r.retry_in, count_attempt=r.count_attempt
                )
        except asyncpg.DataError:
            async with conn.transaction():
                await store.mark_failed(
                    conn,
                    d.id,
                    error="the failure's reason could not be stored",
                    retry_in=r.retry_in,
                    count_attempt=r.count_attempt,
                )
