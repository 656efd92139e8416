"""The ticket report: the daily aggregate ``report_days`` (migration 0008) kept by the use
cases in the same transaction as each change, and the report's queries over it. A year
of a million-ticket desk is a few thousand rows; only "open now" reads the tickets
(an index on the open ones)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

SUBJECTS_SHOWN = 10


async def count_day(
    conn: asyncpg.Connection, at: datetime, unit_id: int, what: str, *, user_id: int = 0, subject_id: int = 0
) -> None:
    """Adds one to ``what`` (created, done, reopened) of the UTC day of ``at``."""
    assert what in ("created", "done", "reopened")
    await conn.execute(
        f"INSERT INTO report_days (day, unit_id, user_id, subject_id, {what})"
        " VALUES (($1::timestamptz AT TIME ZONE 'UTC')::date, $2, $3, $4, 1)"
        f" ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET {what} = report_days.{what} + 1",
        at,
        unit_id,
        user_id,
        subject_id,
    )


def _units(unit_ids: list[int] | None, args: list[Any]) -> str:
    if unit_ids is None:
        return ""
    args.append(unit_ids)
    return f" AND unit_id = ANY(${len(args)}::bigint[])"


async def per_day(
    conn: asyncpg.Connection, unit_ids: list[int] | None, first: date, last: date
) -> dict[date, dict[str, int]]:
    """{day: {created, done, reopened}} for the days ``first`` … ``last`` that had any."""
    args: list[Any] = [first, last]
    rows = await conn.fetch(
        "SELECT day, sum(created)::bigint AS created, sum(done)::bigint AS done,"
        " sum(reopened)::bigint AS reopened FROM report_days"
        f" WHERE day >= $1 AND day <= $2{_units(unit_ids, args)} GROUP BY day",
        *args,
    )
    return {r["day"]: {"created": r["created"], "done": r["done"], "reopened": r["reopened"]} for r in rows}


async def open_now_and_after(
    conn: asyncpg.Connection, unit_ids: list[int] | None, last: date
) -> tuple[int, int]:
    """Open tickets now, and how the open count grew after the day ``last`` (filed plus
    reopened minus finished): the backlog at the end of ``last`` is the first minus the second."""
    args: list[Any] = []
    units = _units(unit_ids, args)
    open_now = await conn.fetchval(
        f"SELECT count(*) FROM tickets WHERE state IN ('new', 'in_work'){units}", *args
    )
    args = [last]
    growth = await conn.fetchval(
        "SELECT COALESCE(sum(created + reopened - done), 0) FROM report_days"
        f" WHERE day > $1{_units(unit_ids, args)}",
        *args,
    )
    return int(open_now), int(growth)


async def done_per_person(
    conn: asyncpg.Connection, unit_ids: list[int] | None, first: date, last: date
) -> list[tuple[int, int]]:
    """[(user id, tickets he finished in the period)], most first."""
    args: list[Any] = [first, last]
    rows = await conn.fetch(
        "SELECT user_id, sum(done)::bigint AS n FROM report_days"
        f" WHERE day >= $1 AND day <= $2 AND user_id <> 0{_units(unit_ids, args)}"
        " GROUP BY user_id HAVING sum(done) > 0 ORDER BY n DESC, user_id",
        *args,
    )
    return [(r["user_id"], r["n"]) for r in rows]


async def busiest_subjects(
    conn: asyncpg.Connection, unit_ids: list[int] | None, first: date, last: date
) -> list[tuple[int, str | None, int]]:
    """[(subject id (0: typed ones), its name now, tickets filed with it)], busiest first."""
    args: list[Any] = [first, last]
    rows = await conn.fetch(
        "SELECT d.subject_id, s.name, sum(d.created)::bigint AS n FROM report_days d"
        " LEFT JOIN subjects s ON s.id = d.subject_id"
        f" WHERE d.day >= $1 AND d.day <= $2{_units(unit_ids, args).replace('unit_id', 'd.unit_id')}"
        " GROUP BY d.subject_id, s.name HAVING sum(d.created) > 0"
        f" ORDER BY n DESC, d.subject_id LIMIT {SUBJECTS_SHOWN}",
        *args,
    )
    return [(r["subject_id"], r["name"], r["n"]) for r in rows]
