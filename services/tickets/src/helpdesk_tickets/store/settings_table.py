"""Settings sections, one JSON document each."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson


async def settings_section(conn: asyncpg.Connection, section: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT value FROM settings WHERE section = $1", section)
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value


async def save_settings_section(conn: asyncpg.Connection, section: str, value: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO settings (section, value) VALUES ($1, $2::jsonb)"
        " ON CONFLICT (section) DO UPDATE SET value = EXCLUDED.value",
        section,
        orjson.dumps(value).decode(),
    )
