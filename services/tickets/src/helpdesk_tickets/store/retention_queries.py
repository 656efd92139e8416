"""What retention deletes of tickets' own rows (the rules are in ``usecases.retention``).

Each function takes one batch: rows chosen ``FOR UPDATE SKIP LOCKED``, so a row a
request holds is skipped, never waited for.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from helpdesk_kit.retention import Pruned, pruned_rows
from helpdesk_tickets.domain import ARCHIVE

# A pruned history keeps how the ticket began and ended; the ticket's row keeps the rest
# (author, unit, who completed it and when).
KEPT_ACTIONS = ("created", ARCHIVE.history)


async def _prune_keys(conn: asyncpg.Connection, table: str, cutoff: datetime, limit: int) -> Pruned:
    status: str = await conn.execute(
        f"DELETE FROM {table} WHERE (actor_id, key) IN ("
        f" SELECT actor_id, key FROM {table} WHERE created_at < $1"
        " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)


async def prune_idempotency_keys(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Create keys: a retry after them makes a new ticket."""
    return await _prune_keys(conn, "idempotency_keys", cutoff, limit)


async def prune_comment_idempotency_keys(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Comment keys (mail intake's replies): a retry after them makes a new comment."""
    return await _prune_keys(conn, "comment_idempotency_keys", cutoff, limit)


async def prune_archived_history(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Up to ``limit`` tickets archived and done before ``cutoff``: their history but for its
    first and last entries. Each ticket is marked, so it is never looked at again."""
    row = await conn.fetchrow(
        """
        WITH picked AS (
            SELECT id FROM tickets
            WHERE state = 'archived' AND history_pruned_at IS NULL AND done_at < $1
            ORDER BY done_at LIMIT $2
            FOR UPDATE SKIP LOCKED
        ), gone AS (
            DELETE FROM history h USING picked
            WHERE h.ticket_id = picked.id AND h.action <> ALL($3::text[])
            RETURNING 1
        ), marked AS (
            UPDATE tickets t SET history_pruned_at = now() FROM picked WHERE t.id = picked.id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM marked) AS tickets, (SELECT count(*) FROM gone) AS rows
        """,
        cutoff,
        limit,
        list(KEPT_ACTIONS),
    )
    assert row is not None
    return Pruned(taken=row["tickets"], deleted=row["rows"])
