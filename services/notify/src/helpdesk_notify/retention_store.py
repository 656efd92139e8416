"""What retention deletes of notify's rows (the rules are in ``usecases.retention``).

Each function takes one batch: rows chosen ``FOR UPDATE SKIP LOCKED``, so a delivery a
worker is sending or a pop-up being marked read is skipped, never waited for.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from helpdesk_kit.retention import Pruned, pruned_rows


async def prune_delivered(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Deliveries sent before ``cutoff`` with their log. A mailing's report counts its sent
    mails from the deliveries, so what goes is added to the mailing's ``pruned_sent`` first.
    Dead deliveries are not touched: they wait for an administrator (replayed, they are
    sent and go the same way)."""
    row = await conn.fetchrow(
        """
        WITH picked AS (
            SELECT id, mailing_id FROM deliveries
            WHERE status = 'sent' AND sent_at < $1
            ORDER BY sent_at LIMIT $2
            FOR UPDATE SKIP LOCKED
        ), logged AS (
            DELETE FROM delivery_log l USING picked WHERE l.delivery_id = picked.id RETURNING 1
        ), counted AS (
            UPDATE mailings m SET pruned_sent = m.pruned_sent + c.n
            FROM (SELECT mailing_id, count(*) AS n FROM picked
                  WHERE mailing_id IS NOT NULL GROUP BY mailing_id) c
            WHERE m.id = c.mailing_id
            RETURNING 1
        ), gone AS (
            DELETE FROM deliveries d USING picked WHERE d.id = picked.id RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone) AS deliveries,
               (SELECT count(*) FROM logged) AS log_rows,
               (SELECT count(*) FROM counted) AS mailings
        """,
        cutoff,
        limit,
    )
    assert row is not None
    return Pruned(taken=row["deliveries"], deleted=row["deliveries"] + row["log_rows"])


async def prune_read_popups(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    status: str = await conn.execute(
        "DELETE FROM notifications WHERE id IN ("
        " SELECT id FROM notifications WHERE created_at < $1 AND read_at IS NOT NULL"
        " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)


async def prune_unread_popups(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    status: str = await conn.execute(
        "DELETE FROM notifications WHERE id IN ("
        " SELECT id FROM notifications WHERE created_at < $1 AND read_at IS NULL"
        " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)
