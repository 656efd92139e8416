"""Identity's SQL for the ZENLIX import: bulk inserts under kept ids (COPY), no events."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

SOURCE = "zenlix"


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    password_hash: str | None
    full_name: str
    email: str
    phone: str
    kind: str
    role: str | None
    is_admin: bool
    language: str
    is_active: bool
    client_group_id: int | None
    position_id: int | None
    pushbullet: str
    ldap: bool
    unit_ids: tuple[int, ...]
    public_hash: str


async def taken_names(conn: asyncpg.Connection, table: str) -> set[str]:
    """Lower-cased names in ``units``, ``client_groups`` or ``positions`` (unique per table)."""
    if table not in ("units", "client_groups", "positions"):
        raise ValueError(table)
    rows = await conn.fetch(f"SELECT lower(name) AS name FROM {table}")
    return {r["name"] for r in rows}


async def taken_logins(conn: asyncpg.Connection) -> set[str]:
    return {r["login"] for r in await conn.fetch("SELECT lower(login) AS login FROM users")}


async def login_of(conn: asyncpg.Connection, user_id: int) -> str | None:
    value: str | None = await conn.fetchval("SELECT login FROM users WHERE id = $1", user_id)
    return value


async def taken_hashes(conn: asyncpg.Connection) -> set[str]:
    return {r["public_hash"] for r in await conn.fetch("SELECT public_hash FROM users")}


async def set_public_hash(conn: asyncpg.Connection, user_id: int, public_hash: str) -> None:
    await conn.execute("UPDATE users SET public_hash = $2 WHERE id = $1", user_id, public_hash)


async def insert_named(conn: asyncpg.Connection, table: str, rows: list[tuple[int, str]]) -> None:
    if table not in ("units", "client_groups", "positions"):
        raise ValueError(table)
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=["id", "name"])


async def insert_users(conn: asyncpg.Connection, users: list[UserRow]) -> None:
    await conn.copy_records_to_table(
        "users",
        records=[
            (
                u.id,
                u.login,
                u.password_hash,
                u.full_name,
                u.email,
                u.phone,
                u.kind,
                u.role,
                u.is_admin,
                u.language,
                u.is_active,
                u.client_group_id,
                u.position_id,
                u.pushbullet,
                u.ldap,
                u.public_hash,
            )
            for u in users
        ],
        columns=[
            "id",
            "login",
            "password_hash",
            "full_name",
            "email",
            "phone",
            "kind",
            "role",
            "is_admin",
            "language",
            "is_active",
            "client_group_id",
            "position_id",
            "pushbullet",
            "ldap",
            "public_hash",
        ],
    )
    await conn.copy_records_to_table(
        "user_units",
        records=[(u.id, unit) for u in users for unit in u.unit_ids],
        columns=["user_id", "unit_id"],
    )


async def set_leads(conn: asyncpg.Connection, leads: list[tuple[int, int]]) -> None:
    """(group id, lead user id): the group names its lead, the lead belongs to it with the flag."""
    await conn.executemany("UPDATE client_groups SET lead_id = $2 WHERE id = $1", leads)
    await conn.executemany(
        "UPDATE users SET client_group_id = $1, is_client_group_lead = true WHERE id = $2", leads
    )
