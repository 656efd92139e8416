"""Canned responses and saved list views: small per-person or per-unit tables."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets.domain import CannedResponse, SavedView

_CANNED = "id, owner_id, unit_id, title, body"
_VIEW = "id, owner_id, unit_id, name, query"


def _canned(r: asyncpg.Record) -> CannedResponse:
    return CannedResponse(
        id=r["id"], owner_id=r["owner_id"], unit_id=r["unit_id"], title=r["title"], body=r["body"]
    )


def _view(r: asyncpg.Record) -> SavedView:
    return SavedView(
        id=r["id"], owner_id=r["owner_id"], unit_id=r["unit_id"], name=r["name"], query=r["query"]
    )


async def canned_responses(
    conn: asyncpg.Connection, owner_id: int, unit_ids: list[int] | None
) -> list[CannedResponse]:
    """The person's own and those shared with his units (``None``: every unit's)."""
    rows = await conn.fetch(
        f"SELECT {_CANNED} FROM canned_responses WHERE owner_id = $1"
        " OR (unit_id IS NOT NULL AND ($2::bigint[] IS NULL OR unit_id = ANY($2::bigint[])))"
        " ORDER BY lower(title), id",
        owner_id,
        unit_ids,
    )
    return [_canned(r) for r in rows]


async def canned_by_id(conn: asyncpg.Connection, canned_id: int) -> CannedResponse | None:
    row = await conn.fetchrow(f"SELECT {_CANNED} FROM canned_responses WHERE id = $1", canned_id)
    return _canned(row) if row else None


async def insert_canned(
    conn: asyncpg.Connection, *, owner_id: int | None, unit_id: int | None, title: str, body: str
) -> CannedResponse:
    row = await conn.fetchrow(
        "INSERT INTO canned_responses (owner_id, unit_id, title, body) VALUES ($1, $2, $3, $4)"
        f" RETURNING {_CANNED}",
        owner_id,
        unit_id,
        title,
        body,
    )
    return _canned(row)


async def update_canned(conn: asyncpg.Connection, canned_id: int, title: str, body: str) -> CannedResponse:
    row = await conn.fetchrow(
        f"UPDATE canned_responses SET title = $2, body = $3 WHERE id = $1 RETURNING {_CANNED}",
        canned_id,
        title,
        body,
    )
    return _canned(row)


async def delete_canned(conn: asyncpg.Connection, canned_id: int) -> None:
    await conn.execute("DELETE FROM canned_responses WHERE id = $1", canned_id)


async def saved_views(conn: asyncpg.Connection, owner_id: int, unit_ids: list[int] | None) -> list[SavedView]:
    """The person's own views and those shared with his units (``None``: every unit's)."""
    rows = await conn.fetch(
        f"SELECT {_VIEW} FROM saved_views WHERE owner_id = $1"
        " OR (unit_id IS NOT NULL AND ($2::bigint[] IS NULL OR unit_id = ANY($2::bigint[])))"
        " ORDER BY lower(name), id",
        owner_id,
        unit_ids,
    )
    return [_view(r) for r in rows]


async def view_by_id(conn: asyncpg.Connection, view_id: int) -> SavedView | None:
    row = await conn.fetchrow(f"SELECT {_VIEW} FROM saved_views WHERE id = $1", view_id)
    return _view(row) if row else None


async def insert_view(
    conn: asyncpg.Connection, *, owner_id: int, unit_id: int | None, name: str, query: str
) -> SavedView:
    row = await conn.fetchrow(
        f"INSERT INTO saved_views (owner_id, unit_id, name, query) VALUES ($1, $2, $3, $4) RETURNING {_VIEW}",
        owner_id,
        unit_id,
        name,
        query,
    )
    return _view(row)


async def delete_view(conn: asyncpg.Connection, view_id: int) -> None:
    await conn.execute("DELETE FROM saved_views WHERE id = $1", view_id)
