"""The ticket report: the daily aggregate (migrations 0008 and 0012) kept by the use cases
in the same transaction as each change, and the report's queries over it. A year of a
million-ticket desk is a few thousand rows; only "open now" reads the tickets (an index
on the open ones).

Writers append to ``report_day_changes`` (never update a shared row: creates into one unit
would queue on its lock); the archiver's schedule folds the changes into ``report_days``
in one statement, and every query reads the sum of both under one snapshot, so a fold
never shows a change twice or not at all."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

SUBJECTS_SHOWN = 10

# Folds from several replicas at once would upsert the same rows in any order: one folds.
_FOLD_LOCK = "tickets.report_days.fold"

# The aggregate as its readers see it: the folded rows and the changes not folded yet.
_DAYS = (
    "(SELECT day, unit_id, user_id, subject_id, created, done, reopened FROM report_days"
    " UNION ALL"
    " SELECT day, unit_id, user_id, subject_id, created, done, reopened FROM report_day_changes)"
)


async def count_day(
    conn: asyncpg.Connection, at: datetime, unit_id: int, what: str, *, user_id: int = 0, subject_id: int = 0
) -> None:
    """Adds one to ``what`` (created, done, reopened) of the UTC day of ``at``."""
    assert what in ("created", "done", "reopened")
    await conn.execute(
        f"INSERT INTO report_day_changes (day, unit_id, user_id, subject_id, {what})"
        " VALUES (($1::timestamptz AT TIME ZONE 'UTC')::date, $2, $3, $4, 1)",
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
        f" sum(reopened)::bigint AS reopened FROM {_DAYS} d"
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
        f"SELECT COALESCE(sum(created + reopened - done), 0) FROM {_DAYS} d"
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
        f"SELECT user_id, sum(done)::bigint AS n FROM {_DAYS} d"
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
        f"SELECT d.subject_id, s.name, sum(d.created)::bigint AS n FROM {_DAYS} d"
        " LEFT JOIN subjects s ON s.id = d.subject_id"
        f" WHERE d.day >= $1 AND d.day <= $2{_units(unit_ids, args).replace('unit_id', 'd.unit_id')}"
        " GROUP BY d.subject_id, s.name HAVING sum(d.created) > 0"
        f" ORDER BY n DESC, d.subject_id LIMIT {SUBJECTS_SHOWN}",
        *args,
    )
    return [(r["subject_id"], r["name"], r["n"]) for r in rows]


async def fold_report_days(conn: asyncpg.Connection) -> int:
    """Moves the appended changes into ``report_days`` (in the caller's transaction); how
    many change rows it folded, 0 when another replica is folding right now."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", _FOLD_LOCK):
        return 0
    folded: int = await conn.fetchval(
        """
        WITH moved AS (
            DELETE FROM report_day_changes
            RETURNING day, unit_id, user_id, subject_id, created, done, reopened
        ), added AS (
            INSERT INTO report_days (day, unit_id, user_id, subject_id, created, done, reopened)
            SELECT day, unit_id, user_id, subject_id, sum(created), sum(done), sum(reopened)
            FROM moved GROUP BY 1, 2, 3, 4
            ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET
                created = report_days.created + EXCLUDED.created,
                done = report_days.done + EXCLUDED.done,
                reopened = report_days.reopened + EXCLUDED.reopened
        )
        SELECT count(*) FROM moved
        """
    )
    return folded
