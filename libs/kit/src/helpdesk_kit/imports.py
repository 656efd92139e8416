"""Bulk imports from another system (ZENLIX 2): the marks of what was imported, and sequences.

An import keeps the other system's ids as ours. Each imported object is marked in the
schema's ``imported`` table (``migrations.create_import_marks_table``), in the same
transaction as the object: a re-run skips marked ids, and an object under such an id
that is *not* marked belongs to someone else, so the import refuses instead of
overwriting it. Afterwards each sequence is moved past the highest id, never back.
"""

from __future__ import annotations

import re

import asyncpg

__all__ = ["advance_sequence", "mark", "marked", "strangers"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"bad table name {name!r}")
    return name


async def marked(conn: asyncpg.Connection, source: str, kind: str) -> set[int]:
    rows = await conn.fetch("SELECT id FROM imported WHERE source = $1 AND kind = $2", source, kind)
    return {r["id"] for r in rows}


async def mark(conn: asyncpg.Connection, source: str, kind: str, ids: list[int]) -> None:
    if ids:
        await conn.copy_records_to_table(
            "imported", records=[(source, kind, i) for i in ids], columns=["source", "kind", "id"]
        )


async def strangers(
    conn: asyncpg.Connection, source: str, kind: str, table: str, ids: list[int]
) -> list[int]:
    """The ids of ``ids`` that ``table`` holds but no import of ``source`` brought: not ours to touch."""
    rows = await conn.fetch(
        f"SELECT t.id FROM {_checked(table)} t WHERE t.id = ANY($1::bigint[]) AND NOT EXISTS"
        " (SELECT 1 FROM imported m WHERE m.source = $2 AND m.kind = $3 AND m.id = t.id) ORDER BY t.id",
        ids,
        source,
        kind,
    )
    return [r["id"] for r in rows]


async def advance_sequence(conn: asyncpg.Connection, table: str, at_least: int = 1) -> None:
    """Moves the id sequence of ``table`` past its highest id and ``at_least`` (never back).

    ``at_least`` is the other system's highest id: an object skipped now keeps its id
    free, so it can still come over once it is repaired there."""
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", _checked(table))
    if sequence is None:
        return
    await conn.execute(
        f"SELECT setval($1::regclass, GREATEST((SELECT last_value FROM {sequence}),"
        f" (SELECT coalesce(max(id), 1) FROM {table}), $2::bigint))",
        sequence,
        at_least,
    )
