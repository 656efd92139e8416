"""The counts of open tickets the database keeps (migration 0011): read for the counters of
a role that sees every open ticket, folded on the archiver's schedule.

``open_counts`` holds counts per (unit, state, SLA state); the triggers on ``tickets``
append each write's net change to ``open_count_changes``. The true count is the sum of
both, which one statement reads under one snapshot: a fold (delete the changes, add them
to the counts, one statement) commits both halves at once, so a reader never sees a
change in both tables or in neither.
"""

from __future__ import annotations

import asyncpg

# Folds from several replicas would upsert the same count rows in any order (deadlocks):
# one folds, the others skip this round.
_FOLD_LOCK = "tickets.open_counts.fold"

_READ = """
SELECT coalesce(sum(n) FILTER (WHERE state = 'new'), 0) AS new,
       coalesce(sum(n) FILTER (WHERE state = 'in_work'), 0) AS in_work,
       coalesce(sum(n) FILTER (WHERE sla_state = 'warning'), 0) AS sla_warning,
       coalesce(sum(n) FILTER (WHERE sla_state = 'breached'), 0) AS sla_breached,
       (SELECT count(*) FROM tickets WHERE locked_by = $1 AND state = 'in_work') AS mine
FROM (SELECT state, sla_state, n FROM open_counts
      UNION ALL
      SELECT state, sla_state, n FROM open_count_changes) c
"""


async def all_open_counters(conn: asyncpg.Connection, user_id: int) -> dict[str, int]:
    """The dashboard counters over every open ticket: a few hundred count rows plus the
    changes not folded yet; ``mine`` from ``tickets_mine_idx`` (the user's own work)."""
    row = await conn.fetchrow(_READ, user_id)
    return {k: int(row[k]) for k in ("new", "in_work", "mine", "sla_warning", "sla_breached")}


async def fold_open_counts(conn: asyncpg.Connection) -> int:
    """Moves the changes into ``open_counts`` (in the caller's transaction); how many change
    rows it folded, 0 when another replica is folding right now."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", _FOLD_LOCK):
        return 0
    folded: int = await conn.fetchval(
        """
        WITH moved AS (DELETE FROM open_count_changes RETURNING unit_id, state, sla_state, n),
        added AS (
            INSERT INTO open_counts (unit_id, state, sla_state, n)
            SELECT unit_id, state, sla_state, sum(n) FROM moved GROUP BY 1, 2, 3
            ON CONFLICT (unit_id, state, sla_state) DO UPDATE SET n = open_counts.n + EXCLUDED.n
        )
        SELECT count(*) FROM moved
        """
    )
    return folded
