"""The timers: fire warnings and breaches within a second of their moment.

No periodic scan of the open clocks: each clock stores ``next_fire_at`` (its
warning moment, then its due moment) under a partial index. The scheduler keeps
only the head of that index in memory, sleeps until it (or until woken by a
``NOTIFY sla_timers`` from a consumer that scheduled an earlier moment, or at
most ``rescan_seconds``; moments less than ``coalesce_seconds`` apart are fired
together), then claims the due clocks in batches with
``FOR UPDATE SKIP LOCKED`` and publishes through the outbox in the same
transaction. Replicas share the work and never repeat it; after a restart the
first pass fires everything that fell due while no replica ran.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
from prometheus_client import Counter, Histogram

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_sla import metrics, usecases
from helpdesk_sla.store import TIMERS_CHANNEL

log = get_logger(__name__)

FIRED = Counter("sla_timers_fired_total", "Warnings and breaches fired", ["state"])
LAG = Histogram(
    "sla_timer_lag_seconds",
    "How late a warning or breach fired after its moment",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300),
)


class Scheduler:
    def __init__(
        self,
        *,
        db: Database,
        now: Callable[[], datetime] = usecases.utcnow,
        batch: int = 500,
        rescan_seconds: float = 10.0,
        coalesce_seconds: float = 0.1,
        on_fired: Callable[[list[usecases.Fired], datetime], None] | None = None,
    ) -> None:
        self._db = db
        self._now = now
        self._batch = batch
        self._rescan = rescan_seconds
        self._coalesce = coalesce_seconds
        self._on_fired = on_fired
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def wake(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        listener: asyncpg.Connection | None = None
        try:
            listener = await self._db.connection()
            await listener.add_listener(TIMERS_CHANNEL, self.wake)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("timers.listen_failed", error=repr(exc))
        try:
            while not self._stopping.is_set():
                try:
                    await self.tick()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("timers.failed", error=repr(exc))
                    await asyncio.sleep(1.0)
        finally:
            if listener is not None:
                with contextlib.suppress(OSError, asyncpg.PostgresError):
                    await listener.close()

    async def tick(self) -> None:
        """Fires what is due, then sleeps until the next moment (or a wake-up)."""
        self._wake.clear()
        await self.fire_due()
        head = await usecases.next_fire_at(db=self._db)
        # Right after firing, a moment in the past means rows another replica or a consumer
        # holds, or a scheduler that cannot keep up; measured on every pass.
        overdue = (self._now() - head).total_seconds() if head is not None else 0.0
        metrics.OVERDUE.set(max(overdue, 0.0))
        wait = self._rescan
        if head is not None:
            # Moments closer together than ``coalesce_seconds`` fire in one transaction (a burst
            # of deadlines in the same minute costs a few transactions a second, not thousands);
            # due rows held by a consumer or another replica are looked at again as soon.
            wait = min(wait, max((head - self._now()).total_seconds(), self._coalesce))
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def fire_due(self) -> int:
        total = 0
        while True:
            now = self._now()
            fired = await usecases.fire_due(db=self._db, now=now, batch=self._batch)
            done = self._now()
            for f in fired:
                FIRED.labels(f.state.value).inc()
                LAG.observe(max((done - f.scheduled_at).total_seconds(), 0.0))
            if fired and self._on_fired is not None:
                self._on_fired(fired, done)
            total += len(fired)
            if len(fired) < self._batch:
                return total
