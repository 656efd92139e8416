"""Recurring ticket schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

_RECURRING = "id, author, template, schedule, next_run_at, active, created_at"


def _recurring(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": r["id"],
        "author": orjson.loads(r["author"]),
        "template": orjson.loads(r["template"]),
        "schedule": orjson.loads(r["schedule"]),
        "next_run_at": r["next_run_at"],
        "active": r["active"],
        "created_at": r["created_at"],
    }


async def insert_recurring(
    conn: asyncpg.Connection,
    *,
    author: dict[str, Any],
    template: dict[str, Any],
    schedule: dict[str, Any],
    next_run_at: datetime | None,
) -> int:
    recurring_id: int = await conn.fetchval(
        "INSERT INTO recurring_tickets (author, template, schedule, next_run_at)"
        " VALUES ($1::jsonb, $2::jsonb, $3::jsonb, $4) RETURNING id",
        orjson.dumps(author).decode(),
        orjson.dumps(template).decode(),
        orjson.dumps(schedule).decode(),
        next_run_at,
    )
    return recurring_id


async def due_recurring(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Due schedules, row-locked; those another replica is running are skipped."""
    rows = await conn.fetch(
        f"SELECT {_RECURRING} FROM recurring_tickets"
        " WHERE next_run_at <= $1 AND active ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [_recurring(r) for r in rows]


async def set_next_run(conn: asyncpg.Connection, recurring_id: int, next_run_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE recurring_tickets SET next_run_at = $2 WHERE id = $1", recurring_id, next_run_at
    )


async def recurring_list(conn: asyncpg.Connection, author_id: int | None) -> list[dict[str, Any]]:
    """All recurring tickets (``author_id`` None) or those one user set up, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_RECURRING} FROM recurring_tickets"
        " WHERE $1::bigint IS NULL OR (author->>'user_id')::bigint = $1 ORDER BY id",
        author_id,
    )
    return [_recurring(r) for r in rows]


async def recurring_for_update(conn: asyncpg.Connection, recurring_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_RECURRING} FROM recurring_tickets WHERE id = $1 FOR UPDATE", recurring_id
    )
    return _recurring(row) if row else None


async def set_recurring_active(
    conn: asyncpg.Connection, recurring_id: int, active: bool, next_run_at: datetime | None
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"UPDATE recurring_tickets SET active = $2, next_run_at = $3 WHERE id = $1 RETURNING {_RECURRING}",
        recurring_id,
        active,
        next_run_at,
    )
    return _recurring(row)


async def delete_recurring(conn: asyncpg.Connection, recurring_id: int) -> None:
    await conn.execute("DELETE FROM recurring_tickets WHERE id = $1", recurring_id)
