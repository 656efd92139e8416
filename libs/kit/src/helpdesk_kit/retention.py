"""Retention: rows that would only pile up are deleted once they are old enough.

A service hands a :class:`Pruner` one :class:`Rule` per kind of row: its name, how
long such rows are kept (``None``: for ever) and the function of its store that
deletes one batch of rows older than a cutoff. The kit's own tables have their rules
here (:func:`messaging_rules`): consumers' inbox rows and replayed dead letters.

How a pass goes, every ``every`` seconds (jittered, so replicas drift apart):

- each batch is a transaction of its own, taking at most ``batch`` rows (or, for a
  rule that prunes per owner, owners): short transactions, nothing held for long;
- the batch first takes a transaction-level advisory lock named after the schema and
  the kind (``pg_try_advisory_xact_lock``) without waiting: a replica that finds it
  taken leaves that kind to the replica pruning it (safe on any number of replicas);
- rules choose their rows ``FOR UPDATE SKIP LOCKED`` and the batch runs with a short
  ``lock_timeout``: a row the hot path holds (a delivery being sent, a pop-up being
  marked read) is skipped, never waited for, and nothing waits for the pruner long;
- batches follow each other with a short pause while they come back full.

``retention_pruned_rows_total{service,kind}`` counts what was deleted;
``retention_last_pass_timestamp_seconds{service}`` tells when a pass last ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import asyncpg
from prometheus_client import Counter, Gauge
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import RETENTION_SECONDS

__all__ = [
    "Prune",
    "Pruned",
    "Pruner",
    "RetentionSettings",
    "Rule",
    "keep_for",
    "messaging_rules",
    "pruned_rows",
]

log = get_logger(__name__)

PRUNED = Counter("retention_pruned_rows_total", "Rows deleted by retention", ["service", "kind"])
LAST_PASS = Gauge(
    "retention_last_pass_timestamp_seconds", "When the last retention pass ended (Unix time)", ["service"]
)

_STREAM_DAYS = RETENTION_SECONDS / 86400


class Pruned(NamedTuple):
    """What one batch did."""

    #: What the batch's limit counts: rows, or for a rule that prunes per owner (a ticket's
    #: history) the owners. A full batch means there may be more.
    taken: int
    #: Rows deleted (what the metric counts).
    deleted: int


#: ``prune(conn, cutoff, limit)`` takes at most ``limit`` rows (or owners) older than
#: ``cutoff``, chosen ``FOR UPDATE SKIP LOCKED``, and deletes what retention lets go.
Prune = Callable[[asyncpg.Connection, datetime, int], Awaitable[Pruned]]


@dataclass(frozen=True)
class Rule:
    kind: str
    #: How long rows of this kind are kept; None = for ever (the rule does nothing).
    keep: timedelta | None
    prune: Prune


def keep_for(*, days: float = 0.0, hours: float = 0.0) -> timedelta | None:
    """A retention setting as a period; 0 means "keep for ever"."""
    period = timedelta(days=days, hours=hours)
    return period if period > timedelta(0) else None


def pruned_rows(status: str) -> Pruned:
    """A batch that deleted the rows it took, from its ``DELETE n`` command status."""
    count = int(status.rsplit(" ", 1)[-1])
    return Pruned(taken=count, deleted=count)


class RetentionSettings(BaseSettings):
    """When retention runs and how long the kit's own rows are kept (0 = for ever)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    #: How often each replica runs a pass.
    retention_every_seconds: float = Field(default=3600.0, gt=0)
    #: Rows deleted per transaction.
    retention_batch: int = Field(default=1000, ge=1, le=100_000)
    #: A consumer's record of an event it applied. It must outlive the event in the stream
    #: (7 days): while JetStream may redeliver an event, the inbox row is what makes the
    #: consumer recognise it and not apply it twice. 14 days leave a week of margin (a
    #: stream restored from a backup, clocks apart, a longer stream retention).
    retention_inbox_days: float = Field(default=14.0, ge=0)
    #: A parked event that was replayed (kept this long to show what was replayed, when).
    retention_replayed_dead_letters_days: float = Field(default=30.0, ge=0)

    @field_validator("retention_inbox_days")
    @classmethod
    def _outlives_the_stream(cls, days: float) -> float:
        if 0 < days <= _STREAM_DAYS:
            raise ValueError(
                f"inbox rows must be kept longer than events stay in their stream ({_STREAM_DAYS:g} days),"
                " or a redelivered event would be applied twice"
            )
        return days


async def _prune_inbox(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    status: str = await conn.execute(
        "DELETE FROM inbox WHERE (consumer, event_id) IN ("
        " SELECT consumer, event_id FROM inbox WHERE processed_at < $1"
        " ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)


async def _prune_replayed_dead_letters(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    status: str = await conn.execute(
        "DELETE FROM dead_letters WHERE id IN ("
        " SELECT id FROM dead_letters WHERE replayed_at < $1"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)


def messaging_rules(settings: RetentionSettings) -> list[Rule]:
    """The rules of the kit's tables, for every service with consumers."""
    return [
        Rule("inbox", keep_for(days=settings.retention_inbox_days), _prune_inbox),
        Rule(
            "replayed_dead_letters",
            keep_for(days=settings.retention_replayed_dead_letters_days),
            _prune_replayed_dead_letters,
        ),
    ]


class Pruner:
    """Runs a service's retention rules; see the module docstring."""

    def __init__(
        self,
        *,
        db: Database,
        service: str,
        rules: Sequence[Rule],
        settings: RetentionSettings,
        pause_seconds: float = 0.05,
    ) -> None:
        self._db = db
        self._service = service
        self._rules = [r for r in rules if r.keep is not None]
        self._every = settings.retention_every_seconds
        self._batch = settings.retention_batch
        self._pause = pause_seconds

    async def run(self, stopping: asyncio.Event) -> None:
        """A pass every ``every`` seconds until ``stopping``; the first soon after start,
        at a random moment (replicas started together do not all prune at once).
        Transient failures end the call: run it under ``Lifecycle.supervise``."""
        wait = random.uniform(0.05, 0.15) * self._every
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=wait)
            if stopping.is_set():
                return
            await self.prune_once()
            wait = self._every * random.uniform(0.9, 1.1)

    async def prune_once(self, *, now: datetime | None = None) -> dict[str, int]:
        """One pass over every rule; the rows deleted per kind."""
        moment = now or datetime.now(UTC)
        pruned: dict[str, int] = {}
        for rule in self._rules:
            assert rule.keep is not None
            pruned[rule.kind] = await self._prune(rule, moment - rule.keep)
        LAST_PASS.labels(self._service).set(datetime.now(UTC).timestamp())
        if any(pruned.values()):
            log.info("retention.pruned", **pruned)
        return pruned

    async def _prune(self, rule: Rule, cutoff: datetime) -> int:
        total = 0
        lock = f"retention:{self._db.schema}:{rule.kind}"
        while True:
            try:
                batch = await self._batch_of(rule, cutoff, lock)
            except asyncpg.exceptions.LockNotAvailableError:
                # Something holds the table (a migration's DDL): this kind waits for the next pass.
                log.info("retention.table_busy", kind=rule.kind)
                return total
            if batch is None:
                return total  # another replica is pruning this kind right now
            total += batch.deleted
            PRUNED.labels(self._service, rule.kind).inc(batch.deleted)
            if batch.taken < self._batch:
                return total
            await asyncio.sleep(self._pause)

    async def _batch_of(self, rule: Rule, cutoff: datetime, lock: str) -> Pruned | None:
        async with self._db.unit_of_work() as uow:
            if not await uow.conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", lock):
                return None
            # Rows are taken SKIP LOCKED; this bounds any other lock (e.g. a migration's).
            await uow.conn.execute("SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '60s'")
            batch = await rule.prune(uow.conn, cutoff, self._batch)
            await uow.commit()
        return batch
