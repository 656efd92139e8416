"""Attachment rows (the bytes live in the blob store)."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets.domain import Attachment


async def attachments_for_update(conn: asyncpg.Connection, attachment_ids: list[int]) -> list[Attachment]:
    rows = await conn.fetch(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
        attachment_ids,
    )
    return [attachment_from_row(r) for r in rows]


async def link_attachments(
    conn: asyncpg.Connection, comment_id: int, attachment_ids: list[int]
) -> list[Attachment]:
    rows = await conn.fetch(
        f"UPDATE attachments SET comment_id = $1 WHERE id = ANY($2::bigint[]) RETURNING {ATTACHMENT_COLUMNS}",
        comment_id,
        attachment_ids,
    )
    return sorted((attachment_from_row(r) for r in rows), key=lambda a: a.id)


ATTACHMENT_COLUMNS = (
    "id, ticket_id, storage_key, filename, content_type, size, author_id, created_at, comment_id, for_comment"
)


def attachment_from_row(r: asyncpg.Record) -> Attachment:
    return Attachment(**{k.strip(): r[k.strip()] for k in ATTACHMENT_COLUMNS.split(",")})


async def insert_attachment(
    conn: asyncpg.Connection,
    *,
    ticket_id: int,
    storage_key: str,
    filename: str,
    content_type: str,
    size: int,
    author_id: int,
    idempotency_key: str | None = None,
    for_comment: bool = False,
) -> Attachment:
    row = await conn.fetchrow(
        "INSERT INTO attachments (ticket_id, storage_key, filename, content_type, size, author_id,"
        " idempotency_key, for_comment)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ATTACHMENT_COLUMNS}",
        ticket_id,
        storage_key,
        filename,
        content_type,
        size,
        author_id,
        idempotency_key,
        for_comment,
    )
    return attachment_from_row(row)


async def attachment_by_key(conn: asyncpg.Connection, author_id: int, key: str) -> Attachment | None:
    """The file this author stored under this idempotency key, if any."""
    row = await conn.fetchrow(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE author_id = $1 AND idempotency_key = $2",
        author_id,
        key,
    )
    return attachment_from_row(row) if row else None


async def attachment_by_id(conn: asyncpg.Connection, attachment_id: int) -> Attachment | None:
    row = await conn.fetchrow(f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1", attachment_id)
    return attachment_from_row(row) if row else None


async def attachments(conn: asyncpg.Connection, ticket_id: int) -> list[Attachment]:
    rows = await conn.fetch(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE ticket_id = $1 ORDER BY id", ticket_id
    )
    return [attachment_from_row(r) for r in rows]
