"""Settings, one JSON document per key (the LDAP settings)."""

from __future__ import annotations

import asyncpg


async def get_setting(conn: asyncpg.Connection, key: str) -> str | None:
    value: str | None = await conn.fetchval("SELECT value::text FROM settings WHERE key = $1", key)
    return value


async def put_setting(conn: asyncpg.Connection, key: str, value_json: str) -> None:
    await conn.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        value_json,
    )
