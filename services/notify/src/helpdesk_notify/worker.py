"""One worker per queued channel: takes due deliveries from PostgreSQL and sends them.

Deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` (up to ``per_transaction``
at a time), sent while the rows are locked, and marked sent (with a delivery-log
row) in that same transaction. Two workers never send the same row; a row marked
sent is never sent again. The one window left — the process dies after the server
accepted a mail and before the commit — resends at most that transaction's mails,
with the same ``Message-ID``, which receivers and our own mail-in can drop (see
ADR 0005). ``per_transaction=1`` shrinks that window to one mail at the price of
one commit (an fsync) per mail.

A failure is retried with exponential backoff and jitter up to ``max_attempts``,
then the delivery becomes a dead letter (``status = 'dead'``) that admins list.
A provider's rate limit (Pushbullet's 429 + Retry-After) pauses the whole channel
and does not count as an attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain, store, usecases
from helpdesk_notify.channels import (
    Permanent,
    PushbulletSession,
    Session,
    SmtpSession,
    Throttled,
    Transient,
)

log = get_logger(__name__)
DELIVERED = Counter("notify_deliveries_total", "Deliveries by outcome", ["channel", "outcome"])

SessionFactory = Callable[[Database], Awaitable[Session | None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 5.0
    cap_seconds: float = 3600.0


async def smtp_session(db: Database) -> Session | None:
    settings = await usecases.load_mail_settings(db)
    return SmtpSession(settings) if settings.enabled else None


async def pushbullet_session(db: Database) -> Session | None:
    settings = await usecases.load_pushbullet_settings(db)
    if not (settings.enabled and settings.access_token):
        return None
    return PushbulletSession(settings)


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
    ) -> None:
        self.channel = channel
        self._db = db
        self._open = session_factory
        self._policy = policy or RetryPolicy()
        self._batch = batch
        self._per_tx = per_transaction
        self._idle = idle_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - a worker must outlive a bad round (DB restart...)
                log.warning("notify.worker_failed", channel=self.channel, error=repr(exc))
                done = 0
            if done < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._idle)

    async def run_once(self) -> int:
        """Sends up to ``batch`` due deliveries; returns how many it handled (0: nothing due)."""
        session = await self._open(self._db)
        if session is None:  # channel disabled: the queue waits
            return 0
        handled = 0
        try:
            while handled < self._batch and not self._stopping.is_set():
                outcomes = await self._transaction(session)
                handled += len(outcomes)
                if not outcomes or outcomes[-1] in ("retry", "throttled"):
                    break  # nothing due, or the server is unwell: the others wait for the next round
        finally:
            await session.close()
        return handled

    async def _transaction(self, session: Session) -> list[str]:
        """Claims up to ``per_transaction`` rows, sends them, records every outcome, commits once."""
        outcomes: list[str] = []
        async with self._db.unit_of_work() as uow:
            for d in await store.claim_due(uow.conn, self.channel, self._per_tx):
                outcome = await self._one(uow.conn, session, d)
                outcomes.append(outcome)
                if outcome in ("retry", "throttled"):
                    break  # the rows not tried stay pending (their locks go with the commit)
            await uow.commit()
        for outcome in outcomes:
            DELIVERED.labels(self.channel, outcome).inc()
        return outcomes

    async def _one(self, conn: asyncpg.Connection, session: Session, d: store.Delivery) -> str:
        try:
            await session.send(d)
        except Throttled as exc:
            await store.postpone_channel(conn, self.channel, exc.retry_after)
            await store.mark_failed(conn, d.id, error=str(exc), retry_in=exc.retry_after, count_attempt=False)
            outcome = "throttled"
        except Permanent as exc:
            await store.mark_failed(conn, d.id, error=str(exc), retry_in=None, count_attempt=True)
            outcome = "dead"
        except Transient as exc:
            attempts = d.attempts + 1
            if attempts >= self._policy.max_attempts:
                retry_in = None
                outcome = "dead"
            else:
                retry_in = domain.retry_delay(
                    attempts, base=self._policy.base_seconds, cap=self._policy.cap_seconds
                )
                outcome = "retry"
            await store.mark_failed(conn, d.id, error=str(exc), retry_in=retry_in, count_attempt=True)
        else:
            await store.mark_sent(conn, d.id)
            outcome = "sent"
        if outcome != "sent":
            log.warning("notify.delivery_failed", channel=self.channel, delivery_id=d.id, outcome=outcome)
        return outcome
