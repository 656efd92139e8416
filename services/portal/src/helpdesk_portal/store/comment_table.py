"""Comments of posts: rows, pages (oldest first), the count on the post, earlier commenters."""

from __future__ import annotations

import asyncpg

from helpdesk_portal.domain.posts import Comment
from helpdesk_portal.store.post_table import author

_SELECT = """
SELECT c.id, c.post_id, c.author_id, pe.name AS author_name, pe.is_staff AS author_is_staff,
       c.body, c.html, c.created_at, c.updated_at, c.is_hidden
FROM comments c LEFT JOIN people pe ON pe.user_id = c.author_id
"""


def _comment(r: asyncpg.Record) -> Comment:
    return Comment(
        id=r["id"],
        post_id=r["post_id"],
        author=author(r["author_id"], r["author_name"], r["author_is_staff"]),
        body=r["body"],
        html=r["html"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        is_hidden=r["is_hidden"],
    )


async def insert(conn: asyncpg.Connection, *, post_id: int, author_id: int, body: str, html: str) -> int:
    comment_id: int = await conn.fetchval(
        "INSERT INTO comments (post_id, author_id, body, html) VALUES ($1, $2, $3, $4) RETURNING id",
        post_id,
        author_id,
        body,
        html,
    )
    await conn.execute("UPDATE posts SET comment_count = comment_count + 1 WHERE id = $1", post_id)
    return comment_id


async def get(conn: asyncpg.Connection, comment_id: int, *, lock: bool = False) -> Comment | None:
    row = await conn.fetchrow(_SELECT + " WHERE c.id = $1" + (" FOR UPDATE OF c" if lock else ""), comment_id)
    return _comment(row) if row is not None else None


async def page(
    conn: asyncpg.Connection, *, post_id: int, include_hidden: bool, after_id: int, limit: int
) -> tuple[list[Comment], int | None]:
    hidden = "" if include_hidden else " AND NOT c.is_hidden"
    rows = await conn.fetch(
        _SELECT + f" WHERE c.post_id = $1 AND c.id > $2{hidden} ORDER BY c.id LIMIT $3",
        post_id,
        after_id,
        limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [_comment(r) for r in rows], (int(rows[-1]["id"]) if more and rows else None)


async def save(conn: asyncpg.Connection, comment: Comment, *, was_hidden: bool) -> None:
    await conn.execute(
        "UPDATE comments SET body = $2, html = $3, is_hidden = $4, updated_at = now() WHERE id = $1",
        comment.id,
        comment.body,
        comment.html,
        comment.is_hidden,
    )
    if comment.is_hidden != was_hidden:
        # The post's count is of the comments everyone reads.
        step = -1 if comment.is_hidden else 1
        await conn.execute(
            "UPDATE posts SET comment_count = comment_count + $2 WHERE id = $1", comment.post_id, step
        )


async def earlier_commenters(conn: asyncpg.Connection, post_id: int, before_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT DISTINCT author_id FROM comments WHERE post_id = $1 AND id < $2 ORDER BY author_id",
        post_id,
        before_id,
    )
    return [r["author_id"] for r in rows]
