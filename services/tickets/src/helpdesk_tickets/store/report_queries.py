"""The ticket report's queries: created, done and open per day, done per person, busiest
subjects. Each reads one covering index (``tickets_created_report_idx``,
``tickets_done_report_idx``, migration 0007) without touching the table, so a month of a
million-ticket desk costs a few milliseconds (bench/reports.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

SUBJECTS_SHOWN = 10


def _units(unit_ids: list[int] | None, args: list[Any]) -> str:
    if unit_ids is None:
        return ""
    args.append(unit_ids)
    return f" AND unit_id = ANY(${len(args)}::bigint[])"


async def per_day(
    conn: asyncpg.Connection, unit_ids: list[int] | None, start: datetime, end: datetime, zone: str
) -> dict[date, dict[str, int]]:
    """{day: {created, done}}, days counted in the time zone ``zone``."""
    args: list[Any] = [start, end, zone]
    units = _units(unit_ids, args)
    created = await conn.fetch(
        "SELECT (created_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM tickets"
        f" WHERE created_at >= $1 AND created_at < $2{units} GROUP BY 1",
        *args,
    )
    done = await conn.fetch(
        "SELECT (done_at AT TIME ZONE $3)::date AS day, count(*) AS n FROM tickets"
        f" WHERE done_at >= $1 AND done_at < $2{units} GROUP BY 1",
        *args,
    )
    days: dict[date, dict[str, int]] = {}
    for key, rows in (("created", created), ("done", done)):
        for r in rows:
            days.setdefault(r["day"], {"created": 0, "done": 0})[key] = r["n"]
    return days


async def open_now_and_since(
    conn: asyncpg.Connection, unit_ids: list[int] | None, since: datetime
) -> tuple[int, int, int]:
    """Open tickets now, tickets created since ``since`` and done since then: the backlog at
    ``since`` is the first minus the second plus the third (counted backwards from now, so
    a report ending today reads only a few index entries)."""
    args: list[Any] = [since]
    units = _units(unit_ids, args)
    row = await conn.fetchrow(
        f"SELECT (SELECT count(*) FROM tickets WHERE state IN ('new', 'in_work'){units}) AS open,"
        f" (SELECT count(*) FROM tickets WHERE created_at >= $1{units}) AS created,"
        f" (SELECT count(*) FROM tickets WHERE done_at >= $1{units}) AS done",
        *args,
    )
    return int(row["open"]), int(row["created"]), int(row["done"])


async def done_per_person(
    conn: asyncpg.Connection, unit_ids: list[int] | None, start: datetime, end: datetime
) -> list[tuple[int, int]]:
    """[(user id, tickets he finished in the period)], most first."""
    args: list[Any] = [start, end]
    units = _units(unit_ids, args)
    rows = await conn.fetch(
        "SELECT done_by, count(*) AS n FROM tickets"
        f" WHERE done_at >= $1 AND done_at < $2 AND done_by IS NOT NULL{units}"
        " GROUP BY done_by ORDER BY n DESC, done_by",
        *args,
    )
    return [(r["done_by"], r["n"]) for r in rows]


async def busiest_subjects(
    conn: asyncpg.Connection, unit_ids: list[int] | None, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """[(subject, tickets filed with it in the period)], the busiest ``SUBJECTS_SHOWN``."""
    args: list[Any] = [start, end]
    units = _units(unit_ids, args)
    rows = await conn.fetch(
        "SELECT subject, count(*) AS n FROM tickets"
        f" WHERE created_at >= $1 AND created_at < $2{units}"
        f" GROUP BY subject ORDER BY n DESC, subject LIMIT {SUBJECTS_SHOWN}",
        *args,
    )
    return [(r["subject"], r["n"]) for r in rows]
