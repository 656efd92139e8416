"""Settings, one JSON document per key (the LDAP settings); secret fields kept sealed."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from helpdesk_kit.sealing import open_value, seal

# Secret fields inside settings documents, sealed in storage: setting key → field names.
SEALED_FIELDS = {"ldap": ("bind_password",)}


def setting_purpose(key: str, field_name: str) -> str:
    return f"identity.settings:{key}.{field_name}"


async def get_setting_document(conn: asyncpg.Connection, key: str) -> dict[str, Any] | None:
    """A settings document with its secret fields opened."""
    raw = await get_setting(conn, key)
    if raw is None:
        return None
    data: dict[str, Any] = orjson.loads(raw)
    for name in SEALED_FIELDS.get(key, ()):
        if isinstance(data.get(name), str):
            data[name] = open_value(data[name], purpose=setting_purpose(key, name))
    return data


async def put_setting_document(conn: asyncpg.Connection, key: str, data: dict[str, Any]) -> None:
    """Stores a settings document with its secret fields sealed."""
    stored = dict(data)
    for name in SEALED_FIELDS.get(key, ()):
        if isinstance(stored.get(name), str) and stored[name]:
            stored[name] = seal(stored[name], purpose=setting_purpose(key, name))
    await put_setting(conn, key, orjson.dumps(stored).decode())


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
