"""The notify schema's queries: the only module of the service with SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Popup:
    id: int
    user_id: int
    event: str
    title: str
    body: str
    ticket_id: int | None
    created_at: datetime
    is_read: bool


_COLUMNS = "id, user_id, event, title, body, ticket_id, created_at, read_at IS NOT NULL AS is_read"


def _popup(r: asyncpg.Record) -> Popup:
    return Popup(
        r["id"],
        r["user_id"],
        r["event"],
        r["title"],
        r["body"],
        r["ticket_id"],
        r["created_at"],
        r["is_read"],
    )


async def insert_popups(
    conn: asyncpg.Connection,
    *,
    user_ids: list[int],
    source_event_id: str,
    event: str,
    title: str,
    body: str,
    ticket_id: int | None,
) -> list[Popup]:
    rows = await conn.fetch(
        f"INSERT INTO notifications (user_id, source_event_id, event, title, body, ticket_id)"
        f" SELECT u, $2, $3, $4, $5, $6 FROM unnest($1::bigint[]) AS u"
        f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
        user_ids,
        source_event_id,
        event,
        title,
        body,
        ticket_id,
    )
    return [_popup(r) for r in rows]


async def popups_of(
    conn: asyncpg.Connection, user_id: int, *, limit: int, before_id: int | None
) -> list[Popup]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM notifications WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)"
        " ORDER BY id DESC LIMIT $3",
        user_id,
        before_id,
        limit,
    )
    return [_popup(r) for r in rows]


async def mark_read(conn: asyncpg.Connection, user_id: int, popup_id: int) -> bool:
    status: str = await conn.execute(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2",
        popup_id,
        user_id,
    )
    return status.endswith(" 1")
