"""The portal's settings: one JSON row."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from helpdesk_portal.domain.settings import PortalSettings


async def load(conn: asyncpg.Connection) -> PortalSettings:
    raw = await conn.fetchval("SELECT value FROM settings WHERE id = 1")
    if raw is None:
        return PortalSettings()
    value: dict[str, Any] = orjson.loads(raw)
    known = {k: v for k, v in value.items() if k in PortalSettings.__dataclass_fields__}
    for key in ("notify_user_ids", "allowed_types"):
        if key in known:
            known[key] = tuple(known[key])
    return PortalSettings(**known)


async def save(conn: asyncpg.Connection, settings: PortalSettings) -> None:
    value = orjson.dumps(settings.__dict__).decode()
    await conn.execute(
        "INSERT INTO settings (id, value) VALUES (1, $1::jsonb)"
        " ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value",
        value,
    )
