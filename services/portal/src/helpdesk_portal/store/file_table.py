"""Files of posts, comments, news and articles, bytes included (``files.data``).

A file is uploaded first (no owner), then attached by the uploader when he writes
the post, comment, news item or article; uploads never attached are swept after a day.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from helpdesk_portal.domain.posts import Attachment

OWNERS = ("post_id", "comment_id", "news_id", "article_id")
_UNATTACHED = f"num_nonnulls({', '.join(OWNERS)}) = 0"
_COLUMNS = "id, filename, content_type, size, created_at"


def _attachment(r: asyncpg.Record) -> Attachment:
    return Attachment(r["id"], r["filename"], r["content_type"], r["size"], r["created_at"])


async def insert(
    conn: asyncpg.Connection, *, uploader_id: int, filename: str, content_type: str, data: bytes
) -> Attachment:
    row = await conn.fetchrow(
        "INSERT INTO files (uploader_id, filename, content_type, size, data)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}",
        uploader_id,
        filename,
        content_type,
        len(data),
        data,
    )
    return _attachment(row)


async def sweep_unattached(conn: asyncpg.Connection) -> int:
    done: str = await conn.execute(
        f"DELETE FROM files WHERE {_UNATTACHED} AND created_at < now() - interval '1 day'"
    )
    return int(done.split()[-1])


async def attach(
    conn: asyncpg.Connection, *, owner: str, owner_id: int, uploader_id: int, ids: list[int]
) -> int:
    """Gives the uploader's unattached files ``ids`` to the owner; how many it could."""
    if owner not in OWNERS:
        raise ValueError(owner)
    if not ids:
        return 0
    done: str = await conn.execute(
        f"UPDATE files SET {owner} = $1 WHERE id = ANY($2::bigint[]) AND uploader_id = $3 AND {_UNATTACHED}",
        owner_id,
        ids,
        uploader_id,
    )
    return int(done.split()[-1])


async def of(conn: asyncpg.Connection, owner: str, ids: Sequence[int]) -> dict[int, tuple[Attachment, ...]]:
    """The files of each owner (``owner`` is a column name of OWNERS)."""
    if owner not in OWNERS:
        raise ValueError(owner)
    if not ids:
        return {}
    rows = await conn.fetch(
        f"SELECT {owner} AS owner, {_COLUMNS} FROM files WHERE {owner} = ANY($1::bigint[]) ORDER BY id",
        list(ids),
    )
    found: dict[int, list[Attachment]] = {}
    for r in rows:
        found.setdefault(r["owner"], []).append(_attachment(r))
    return {k: tuple(v) for k, v in found.items()}


async def meta(conn: asyncpg.Connection, file_id: int) -> asyncpg.Record | None:
    """The file's description and owners (not its bytes)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_COLUMNS}, uploader_id, {', '.join(OWNERS)} FROM files WHERE id = $1", file_id
    )
    return row


def attachment_of(row: asyncpg.Record) -> Attachment:
    return _attachment(row)


async def data(conn: asyncpg.Connection, file_id: int) -> bytes:
    value: bytes = await conn.fetchval("SELECT data FROM files WHERE id = $1", file_id)
    return value
