"""Custom field definitions (deleting one only marks it: tickets keep their values)."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets.fields import CustomField

_FIELD = "id, name, kind, options, required, client_visible, position"


def _field(r: asyncpg.Record) -> CustomField:
    return CustomField(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        options=tuple(r["options"]),
        required=r["required"],
        client_visible=r["client_visible"],
        position=r["position"],
    )


async def custom_fields(conn: asyncpg.Connection) -> list[CustomField]:
    """The live (not deleted) definitions, by position then id."""
    rows = await conn.fetch(
        f"SELECT {_FIELD} FROM custom_fields WHERE deleted_at IS NULL ORDER BY position, id"
    )
    return [_field(r) for r in rows]


async def custom_field_for_update(conn: asyncpg.Connection, field_id: int) -> CustomField | None:
    row = await conn.fetchrow(
        f"SELECT {_FIELD} FROM custom_fields WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", field_id
    )
    return _field(row) if row else None


def _values(f: CustomField) -> tuple[object, ...]:
    """The definition's columns after ``id``, in ``_FIELD``'s order."""
    return (f.name, f.kind, list(f.options), f.required, f.client_visible, f.position)


async def insert_custom_field(conn: asyncpg.Connection, f: CustomField) -> CustomField:
    row = await conn.fetchrow(
        "INSERT INTO custom_fields (name, kind, options, required, client_visible, position)"
        f" VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING {_FIELD}",
        *_values(f),
    )
    return _field(row)


async def save_custom_field(conn: asyncpg.Connection, f: CustomField) -> CustomField:
    row = await conn.fetchrow(
        "UPDATE custom_fields SET name = $2, kind = $3, options = $4::text[], required = $5,"
        f" client_visible = $6, position = $7 WHERE id = $1 RETURNING {_FIELD}",
        f.id,
        *_values(f),
    )
    return _field(row)


async def delete_custom_field(conn: asyncpg.Connection, field_id: int) -> bool:
    """Marks the field deleted; tickets keep their values (and history) as they were."""
    deleted = await conn.fetchval(
        "UPDATE custom_fields SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id",
        field_id,
    )
    return deleted is not None
