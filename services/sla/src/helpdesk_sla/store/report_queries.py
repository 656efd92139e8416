"""The SLA report: clocks met and breached per unit over a period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def report(
    conn: asyncpg.Connection, unit_ids: list[int] | None, start: datetime, end: datetime
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Per unit: tickets created in ``[start, end)``, done, open; per unit and clock: met, breached,
    clocks with a limit, median used seconds."""
    scope = "NOT t.deleted AND t.created_at >= $1 AND t.created_at < $2"
    args: list[Any] = [start, end]
    if unit_ids is not None:
        scope += " AND t.unit_id = ANY($3::bigint[])"
        args.append(unit_ids)
    counts = await conn.fetch(
        "SELECT t.unit_id, count(*) AS created,"
        " count(*) FILTER (WHERE t.state IN ('done', 'archived')) AS done"
        f" FROM tickets t WHERE {scope} GROUP BY t.unit_id ORDER BY t.unit_id",
        *args,
    )
    clocks = await conn.fetch(
        "SELECT t.unit_id, c.kind, count(*) FILTER (WHERE c.limit_seconds IS NOT NULL) AS measured,"
        " count(*) FILTER (WHERE c.state = 'met') AS met,"
        " count(*) FILTER (WHERE c.state = 'breached') AS breached,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY c.used_seconds) AS median_used"
        f" FROM tickets t JOIN clocks c USING (ticket_id) WHERE {scope}"
        " GROUP BY t.unit_id, c.kind ORDER BY t.unit_id, c.kind",
        *args,
    )
    return counts, clocks
