"""Units, client groups (and their leads) and positions."""

from __future__ import annotations

import asyncpg


async def existing_units(conn: asyncpg.Connection, ids: list[int]) -> set[int]:
    rows = await conn.fetch("SELECT id FROM units WHERE id = ANY($1::bigint[])", ids)
    return {r["id"] for r in rows}


async def insert_unit(conn: asyncpg.Connection, name: str) -> int | None:
    unit_id: int | None = await conn.fetchval(
        "INSERT INTO units (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", name
    )
    return unit_id


async def all_units(conn: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await conn.fetch("SELECT id, name FROM units ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


async def update_unit(conn: asyncpg.Connection, unit_id: int, name: str) -> bool:
    """False when there is no such unit; raises UniqueViolationError when the name is taken."""
    return (
        await conn.fetchval("UPDATE units SET name = $2 WHERE id = $1 RETURNING true", unit_id, name) is True
    )


async def insert_client_group(conn: asyncpg.Connection, name: str, lead_id: int | None) -> int | None:
    group_id: int | None = await conn.fetchval(
        "INSERT INTO client_groups (name, lead_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id",
        name,
        lead_id,
    )
    return group_id


async def all_client_groups(conn: asyncpg.Connection) -> list[tuple[int, str, int | None]]:
    rows = await conn.fetch("SELECT id, name, lead_id FROM client_groups ORDER BY name")
    return [(r["id"], r["name"], r["lead_id"]) for r in rows]


async def client_group_exists(conn: asyncpg.Connection, group_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM client_groups WHERE id = $1", group_id))


async def client_group(conn: asyncpg.Connection, group_id: int) -> tuple[int, str, int | None] | None:
    row = await conn.fetchrow(
        "SELECT id, name, lead_id FROM client_groups WHERE id = $1 FOR UPDATE", group_id
    )
    return (row["id"], row["name"], row["lead_id"]) if row else None


async def update_client_group(
    conn: asyncpg.Connection, group_id: int, name: str, lead_id: int | None
) -> None:
    """Raises UniqueViolationError when the name is taken."""
    await conn.execute(
        "UPDATE client_groups SET name = $2, lead_id = $3 WHERE id = $1", group_id, name, lead_id
    )


async def set_client_group_lead(conn: asyncpg.Connection, group_id: int, lead_id: int | None) -> set[int]:
    """The lead flag follows the group's lead; a new lead joins the group. The ids of the
    users whose group or lead flag this changed."""
    rows = await conn.fetch(
        "UPDATE users SET is_client_group_lead = false WHERE client_group_id = $1 AND is_client_group_lead"
        " RETURNING id",
        group_id,
    )
    changed = {r["id"] for r in rows}
    if lead_id is not None:
        await conn.execute(
            "UPDATE users SET client_group_id = $1, is_client_group_lead = true WHERE id = $2",
            group_id,
            lead_id,
        )
        changed.add(lead_id)
    return changed


async def delete_client_group(conn: asyncpg.Connection, group_id: int) -> list[int] | None:
    """Deletes the group; its members stay, groupless. Their ids, or None when there was no group."""
    rows = await conn.fetch(
        "UPDATE users SET client_group_id = NULL, is_client_group_lead = false WHERE client_group_id = $1"
        " RETURNING id",
        group_id,
    )
    status: str = await conn.execute("DELETE FROM client_groups WHERE id = $1", group_id)
    return [r["id"] for r in rows] if status == "DELETE 1" else None


async def update_position(conn: asyncpg.Connection, position_id: int, name: str) -> bool:
    """False when there is no such position; raises UniqueViolationError when the name is taken."""
    status: str = await conn.execute("UPDATE positions SET name = $2 WHERE id = $1", position_id, name)
    return status == "UPDATE 1"


async def delete_position(conn: asyncpg.Connection, position_id: int) -> bool:
    await conn.execute("UPDATE users SET position_id = NULL WHERE position_id = $1", position_id)
    status: str = await conn.execute("DELETE FROM positions WHERE id = $1", position_id)
    return status == "DELETE 1"


async def unit_has_members(conn: asyncpg.Connection, unit_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM user_units WHERE unit_id = $1 LIMIT 1", unit_id))


async def delete_unit(conn: asyncpg.Connection, unit_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM units WHERE id = $1", unit_id)
    return status == "DELETE 1"


async def insert_position(conn: asyncpg.Connection, name: str) -> int | None:
    position_id: int | None = await conn.fetchval(
        "INSERT INTO positions (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", name
    )
    return position_id


async def all_positions(conn: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await conn.fetch("SELECT id, name FROM positions ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


async def position_exists(conn: asyncpg.Connection, position_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM positions WHERE id = $1", position_id))
