"""Posts: rows, the list query (filters, search, three orders, keyset pages), votes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_portal.domain.posts import STATUS_RANK, Answer, Author, Post
from helpdesk_portal.store.search import POST_VECTOR, matches, search_text

_SELECT = """
SELECT p.id, p.kind, p.status, p.status_rank, p.score, p.title, p.body, p.html, p.author_id,
       pa.name AS author_name, pa.is_staff AS author_is_staff, p.created_at, p.updated_at,
       p.likes, p.dislikes, p.comment_count, p.is_hidden, p.answer_body, p.answer_html,
       p.answer_by, aa.name AS answer_name, aa.is_staff AS answer_is_staff, p.answered_at,
       p.ticket_id, COALESCE(v.value, 0) AS my_vote
FROM posts p
LEFT JOIN people pa ON pa.user_id = p.author_id
LEFT JOIN people aa ON aa.user_id = p.answer_by
LEFT JOIN post_votes v ON v.post_id = p.id AND v.user_id = $1
"""


def author(user_id: int, name: str | None, is_staff: bool | None) -> Author:
    return Author(user_id, name or f"#{user_id}", bool(is_staff))


def post_from_row(r: asyncpg.Record) -> Post:
    answer = None
    if r["answer_body"] is not None:
        answer = Answer(
            r["answer_body"],
            r["answer_html"],
            author(r["answer_by"], r["answer_name"], r["answer_is_staff"]),
            r["answered_at"],
        )
    return Post(
        id=r["id"],
        kind=r["kind"],
        status=r["status"],
        title=r["title"],
        body=r["body"],
        html=r["html"],
        author=author(r["author_id"], r["author_name"], r["author_is_staff"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        likes=r["likes"],
        dislikes=r["dislikes"],
        my_vote=r["my_vote"],
        comment_count=r["comment_count"],
        is_hidden=r["is_hidden"],
        answer=answer,
        ticket_id=r["ticket_id"],
    )


async def insert(
    conn: asyncpg.Connection, *, kind: str, title: str, body: str, html: str, author_id: int
) -> int:
    vector = POST_VECTOR.format(t="$6", b="$7", a="''")
    post_id: int = await conn.fetchval(
        "INSERT INTO posts (kind, status, status_rank, title, body, html, author_id, search)"
        f" VALUES ($1, 'new', $2, $3, $4, $5, $8, {vector}) RETURNING id",
        kind,
        STATUS_RANK["new"],
        title,
        body,
        html,
        search_text(title),
        search_text(body),
        author_id,
    )
    return post_id


async def get(conn: asyncpg.Connection, post_id: int, viewer_id: int, *, lock: bool = False) -> Post | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE p.id = $2" + (" FOR UPDATE OF p" if lock else ""), viewer_id, post_id
    )
    return post_from_row(row) if row is not None else None


@dataclass(frozen=True)
class PostQuery:
    viewer_id: int
    include_hidden: bool
    kind: str = ""
    status: str = ""
    text: str = ""
    sort: str = "new"
    author_id: int = 0
    limit: int = 50
    # The last row of the previous page: (sort value, id); None = first page.
    after: tuple[int, int] | None = None


ORDERS = {
    "new": "p.id DESC",
    "popular": "p.score DESC, p.id DESC",
    "status": "p.status_rank, p.id DESC",
}


def _past(sort: str, after: tuple[int, int], arg: Callable[[object], str]) -> str:
    """The WHERE clause of the rows after the cursor's, in the order ``sort``."""
    value, last_id = after
    if sort == "popular":
        return f"(p.score, p.id) < ({arg(value)}::int, {arg(last_id)}::bigint)"
    if sort == "status":
        v, i = arg(value), arg(last_id)
        return f"(p.status_rank > {v}::int OR (p.status_rank = {v}::int AND p.id < {i}::bigint))"
    return f"p.id < {arg(last_id)}::bigint"


def sort_value(post_row: asyncpg.Record, sort: str) -> int:
    if sort == "popular":
        return int(post_row["score"])
    if sort == "status":
        return int(post_row["status_rank"])
    return int(post_row["id"])


async def page(conn: asyncpg.Connection, q: PostQuery) -> tuple[list[Post], tuple[int, int] | None]:
    """One page and the cursor of the next (None: the last page)."""
    args: list[object] = [q.viewer_id]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    where: list[str] = []
    if not q.include_hidden:
        where.append("NOT p.is_hidden")
    if q.kind:
        where.append(f"p.kind = {arg(q.kind)}")
    if q.status:
        where.append(f"p.status = {arg(q.status)}")
    if q.author_id:
        where.append(f"p.author_id = {arg(q.author_id)}")
    if q.text:
        where.append(matches("p.search", arg(search_text(q.text))))
    if q.after is not None:
        where.append(_past(q.sort, q.after, arg))
    sql = (
        _SELECT
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {ORDERS[q.sort]} LIMIT {arg(q.limit + 1)}"
    )
    rows = await conn.fetch(sql, *args)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    after = (sort_value(rows[-1], q.sort), int(rows[-1]["id"])) if more and rows else None
    return [post_from_row(r) for r in rows], after


async def save(conn: asyncpg.Connection, post: Post) -> None:
    """Writes the post's changeable fields (and its search vector) as they are now."""
    answer = post.answer
    vector = POST_VECTOR.format(t="$11", b="$12", a="$13")
    await conn.execute(
        "UPDATE posts SET title = $2, body = $3, html = $4, status = $5, status_rank = $6, is_hidden = $7,"
        " answer_body = $8, answer_html = $9, answer_by = $10, answered_at = $14,"
        f" search = {vector}, updated_at = now() WHERE id = $1",
        post.id,
        post.title,
        post.body,
        post.html,
        post.status,
        STATUS_RANK[post.status],
        post.is_hidden,
        answer.body if answer else None,
        answer.html if answer else None,
        answer.author.id if answer else None,
        search_text(post.title),
        search_text(post.body),
        search_text(answer.body if answer else ""),
        answer.answered_at if answer else None,
    )


async def vote(conn: asyncpg.Connection, post_id: int, user_id: int, value: int) -> None:
    """Sets (or with 0 takes back) the user's vote and keeps the post's counts in step."""
    old = await conn.fetchval(
        "DELETE FROM post_votes WHERE post_id = $1 AND user_id = $2 RETURNING value", post_id, user_id
    )
    if value:
        await conn.execute(
            "INSERT INTO post_votes (post_id, user_id, value) VALUES ($1, $2, $3)", post_id, user_id, value
        )
    likes = (value == 1) - (old == 1)
    dislikes = (value == -1) - (old == -1)
    if likes or dislikes:
        await conn.execute(
            "UPDATE posts SET likes = likes + $2, dislikes = dislikes + $3 WHERE id = $1",
            post_id,
            likes,
            dislikes,
        )


async def link_ticket(conn: asyncpg.Connection, post_id: int, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE posts SET ticket_id = $2, updated_at = now() WHERE id = $1", post_id, ticket_id
    )


async def recent_by(conn: asyncpg.Connection, table: str, author_id: int) -> tuple[int, datetime | None]:
    """How many posts (or comments) the user wrote in the last hour, and the oldest's time."""
    if table not in ("posts", "comments"):
        raise ValueError(table)
    row = await conn.fetchrow(
        f"SELECT count(*) AS n, min(created_at) AS oldest FROM {table}"
        " WHERE author_id = $1 AND created_at > now() - interval '1 hour'",
        author_id,
    )
    return int(row["n"]), row["oldest"]
