"""Comments, and their words in the ticket's search vector."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets.domain import Attachment, Comment
from helpdesk_tickets.store.attachment_table import attachments
from helpdesk_tickets.store.rows import search_text

COMMENT_COLUMNS = "id, ticket_id, author_id, body, html, created_at, internal"


async def insert_comment(
    conn: asyncpg.Connection, ticket_id: int, author_id: int, body: str, html: str, *, internal: bool = False
) -> Comment:
    """Adds the comment and its words to the ticket's search vector. An internal note's
    words stay out of it: the vector is one for everyone, and a client's search must not
    find a ticket by words he may not read."""
    row = await conn.fetchrow(
        f"""
        WITH c AS (
            INSERT INTO comments (ticket_id, author_id, body, html, internal) VALUES ($1, $2, $3, $4, $6)
            RETURNING {COMMENT_COLUMNS}
        ), s AS (
            UPDATE tickets SET comments_search = comments_search || w.v, search = search || w.v
            FROM (SELECT setweight(to_tsvector('russian', $5::text), 'C') AS v) w
            WHERE id = $1 AND NOT $6
        )
        SELECT * FROM c
        """,
        ticket_id,
        author_id,
        body,
        html,
        search_text(body),
        internal,
    )
    return _comment(row)


def _comment(r: asyncpg.Record, attached: tuple[Attachment, ...] = ()) -> Comment:
    return Comment(
        id=r["id"],
        ticket_id=r["ticket_id"],
        author_id=r["author_id"],
        body=r["body"],
        html=r["html"],
        created_at=r["created_at"],
        attachments=attached,
        internal=r["internal"],
    )


async def comments(conn: asyncpg.Connection, ticket_id: int, *, with_internal: bool = True) -> list[Comment]:
    """The ticket's comments, oldest first, each with its attachments (two queries);
    ``with_internal=False`` (a client reading) leaves the internal notes out."""
    rows = await conn.fetch(
        f"SELECT {COMMENT_COLUMNS} FROM comments WHERE ticket_id = $1 AND (NOT internal OR $2) ORDER BY id",
        ticket_id,
        with_internal,
    )
    by_comment: dict[int, list[Attachment]] = {}
    for a in await attachments(conn, ticket_id):
        if a.comment_id is not None:
            by_comment.setdefault(a.comment_id, []).append(a)
    return [_comment(r, tuple(by_comment.get(r["id"], ()))) for r in rows]


async def internal_comment_ids(conn: asyncpg.Connection, ticket_id: int) -> set[int]:
    rows = await conn.fetch("SELECT id FROM comments WHERE ticket_id = $1 AND internal", ticket_id)
    return {r["id"] for r in rows}


async def commenter_ids(conn: asyncpg.Connection, ticket_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT DISTINCT author_id FROM comments WHERE ticket_id = $1 ORDER BY author_id", ticket_id
    )
    return [r["author_id"] for r in rows]


async def claim_comment_key(conn: asyncpg.Connection, actor_id: int, key: str) -> Comment | None:
    """Locks the key for this transaction; returns the comment it already made, if any
    (with its attachments). Two calls with one key wait for each other."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"comment-idem:{actor_id}:{key}")
    row = await conn.fetchrow(
        "SELECT c.id, c.ticket_id, c.author_id, c.body, c.html, c.created_at, c.internal FROM comments c"
        " JOIN comment_idempotency_keys k ON k.comment_id = c.id WHERE k.actor_id = $1 AND k.key = $2",
        actor_id,
        key,
    )
    if row is None:
        return None
    attached = tuple(a for a in await attachments(conn, row["ticket_id"]) if a.comment_id == row["id"])
    return _comment(row, attached)


async def save_comment_key(conn: asyncpg.Connection, actor_id: int, key: str, comment_id: int) -> None:
    await conn.execute(
        "INSERT INTO comment_idempotency_keys (actor_id, key, comment_id) VALUES ($1, $2, $3)",
        actor_id,
        key,
        comment_id,
    )
