"""Notify's SQL for the ZENLIX import: notification preferences by COPY."""

from __future__ import annotations

import asyncpg
import orjson

SOURCE = "zenlix"


async def users_with_preferences(conn: asyncpg.Connection, user_ids: list[int]) -> set[int]:
    rows = await conn.fetch("SELECT user_id FROM preferences WHERE user_id = ANY($1::bigint[])", user_ids)
    return {r["user_id"] for r in rows}


async def insert_preferences(conn: asyncpg.Connection, rows: list[tuple[int, dict[str, list[str]]]]) -> None:
    if rows:
        await conn.copy_records_to_table(
            "preferences",
            records=[(user_id, orjson.dumps(events).decode()) for user_id, events in rows],
            columns=["user_id", "events"],
        )
