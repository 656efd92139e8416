"""The subjects table."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets.domain import Subject

_SUBJECT = "id, name, sla_plan_id"


def _subject(row: asyncpg.Record | None) -> Subject | None:
    return Subject(id=row["id"], name=row["name"], sla_plan_id=row["sla_plan_id"]) if row else None


async def subject_by_id(conn: asyncpg.Connection, subject_id: int) -> Subject | None:
    return _subject(await conn.fetchrow(f"SELECT {_SUBJECT} FROM subjects WHERE id = $1", subject_id))


async def subject_by_name(conn: asyncpg.Connection, name: str) -> Subject | None:
    """The subject whose name is ``name`` regardless of case and surrounding spaces."""
    return _subject(
        await conn.fetchrow(
            f"SELECT {_SUBJECT} FROM subjects WHERE lower(btrim(name)) = lower(btrim($1))"
            " ORDER BY id LIMIT 1",
            name,
        )
    )


async def subjects(conn: asyncpg.Connection) -> list[Subject]:
    rows = await conn.fetch(f"SELECT {_SUBJECT} FROM subjects ORDER BY name")
    return [Subject(id=r["id"], name=r["name"], sla_plan_id=r["sla_plan_id"]) for r in rows]


async def insert_subject(conn: asyncpg.Connection, name: str, sla_plan_id: int | None) -> Subject | None:
    """The new subject, or None when the name is taken."""
    row = await conn.fetchrow(
        "INSERT INTO subjects (name, sla_plan_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
        f" RETURNING {_SUBJECT}",
        name,
        sla_plan_id,
    )
    return _subject(row)


async def update_subject(
    conn: asyncpg.Connection, subject_id: int, name: str, sla_plan_id: int | None
) -> Subject | None:
    """Raises asyncpg.UniqueViolationError when the name is taken; None when no such subject."""
    row = await conn.fetchrow(
        f"UPDATE subjects SET name = $2, sla_plan_id = $3 WHERE id = $1 RETURNING {_SUBJECT}",
        subject_id,
        name,
        sla_plan_id,
    )
    return _subject(row)


async def delete_subject(conn: asyncpg.Connection, subject_id: int) -> bool:
    """Tickets keep their subject's text (and its id, now pointing nowhere)."""
    deleted = await conn.fetchval("DELETE FROM subjects WHERE id = $1 RETURNING id", subject_id)
    return deleted is not None
