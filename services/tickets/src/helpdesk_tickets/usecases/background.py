"""Work nobody asked for right now: archiving done tickets, filing due recurring ones,
folding the changes of the open-ticket counts, keeping the SLA service's verdict on the
ticket (a consumed event), and the retention rules of tickets' rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import asyncpg

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.logs import get_logger
from helpdesk_kit.retention import RetentionSettings, Rule, keep_for, messaging_rules
from helpdesk_tickets import events, store
from helpdesk_tickets.domain import ARCHIVE, State
from helpdesk_tickets.usecases.caches import SettingsCache
from helpdesk_tickets.usecases.recurring import run_recurring

log = get_logger(__name__)


async def archive_due(*, db: Database, settings: SettingsCache, batch: int = 500) -> int:
    """Archives tickets done for ``days_to_archive`` days; safe to run on every replica."""
    days = int((await settings.get(db))["days_to_archive"])
    total = 0
    while True:
        async with db.unit_of_work() as uow:
            archived = await store.archive_due(uow.conn, days=days, limit=batch)
            for t in archived:
                step = {"state": [State.DONE.value, ARCHIVE.target.value]}
                await store.add_history(uow.conn, t.id, 0, ARCHIVE.history, step)
                await uow.record_event(*events.ticket_archived(t))
            await uow.commit()
        total += len(archived)
        if len(archived) < batch:
            return total


async def fold_open_counts(*, db: Database) -> int:
    """Moves the open-ticket count changes the triggers appended into the counts, so the
    counters' read stays a few hundred rows (store.open_count_table)."""
    async with db.unit_of_work() as uow:
        folded = await store.fold_open_counts(uow.conn)
        await uow.commit()
    return folded


async def fold_report_days(*, db: Database) -> int:
    """Moves the report's appended daily changes into its aggregate, so a report reads a
    few rows per day and unit (store.report_queries)."""
    async with db.unit_of_work() as uow:
        folded = await store.fold_report_days(uow.conn)
        await uow.commit()
    return folded


async def record_sla_state(uow: UnitOfWork, ticket_id: int, state: str) -> None:
    """Keeps the SLA service's verdict on the ticket, so lists filter on it in SQL."""
    await store.set_sla_state(uow.conn, ticket_id, state)


async def record_sla_alert(
    uow: UnitOfWork, ticket_id: int, action: str, clock: str, due_at: datetime | None
) -> None:
    """An SLA warning or breach in the ticket's history (by nobody: actor 0), once per fact
    (the consumer's inbox sees to that); a ticket deleted meanwhile gets nothing."""
    if await store.ticket_exists(uow.conn, ticket_id):
        due = due_at.isoformat() if due_at else None
        await store.add_history(
            uow.conn, ticket_id, 0, action, {"clock": [None, clock], "due_at": [None, due]}
        )


async def run_archiver(
    *, db: Database, settings: SettingsCache, every: float, stopping: asyncio.Event
) -> None:
    """The schedule: archive what is due, file due recurring tickets, fold the open-ticket
    count changes and the report's daily changes, then sleep; every replica may run it
    (the jobs skip rows another replica holds; one replica folds at a time)."""
    while not stopping.is_set():
        try:
            count = await archive_due(db=db, settings=settings)
            if count:
                log.info("tickets.archived", count=count)
            filed = await run_recurring(db=db, now=datetime.now(UTC))
            if filed:
                log.info("tickets.recurring_filed", count=len(filed))
            await fold_open_counts(db=db)
            await fold_report_days(db=db)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("tickets.archive_failed", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every)


def retention_rules(
    settings: RetentionSettings, *, idempotency_keys_hours: float, archived_history_days: float
) -> list[Rule]:
    """What retention deletes here (docs/operations.md § Retention): the kit's inbox and
    replayed dead letters; create and comment idempotency keys (a retry after that makes a
    new ticket or comment);
    the history of tickets archived long ago but its first and last entries (0: kept)."""
    return [
        *messaging_rules(settings),
        Rule("idempotency_keys", keep_for(hours=idempotency_keys_hours), store.prune_idempotency_keys),
        Rule(
            "comment_idempotency_keys",
            keep_for(hours=idempotency_keys_hours),
            store.prune_comment_idempotency_keys,
        ),
        Rule("archived_history", keep_for(days=archived_history_days), store.prune_archived_history),
    ]
