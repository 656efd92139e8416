"""News items, newest first."""

from __future__ import annotations

import asyncpg

from helpdesk_portal.domain.knowledge import News
from helpdesk_portal.store.post_table import author

_SELECT = """
SELECT n.id, n.title, n.body, n.html, n.author_id, pe.name AS author_name,
       pe.is_staff AS author_is_staff, n.published_at, n.updated_at
FROM news n LEFT JOIN people pe ON pe.user_id = n.author_id
"""


def _news(r: asyncpg.Record) -> News:
    return News(
        id=r["id"],
        title=r["title"],
        body=r["body"],
        html=r["html"],
        author=author(r["author_id"], r["author_name"], r["author_is_staff"]),
        published_at=r["published_at"],
        updated_at=r["updated_at"],
    )


async def insert(conn: asyncpg.Connection, *, title: str, body: str, html: str, author_id: int) -> int:
    news_id: int = await conn.fetchval(
        "INSERT INTO news (title, body, html, author_id) VALUES ($1, $2, $3, $4) RETURNING id",
        title,
        body,
        html,
        author_id,
    )
    return news_id


async def get(conn: asyncpg.Connection, news_id: int) -> News | None:
    row = await conn.fetchrow(_SELECT + " WHERE n.id = $1", news_id)
    return _news(row) if row is not None else None


async def page(conn: asyncpg.Connection, *, before_id: int, limit: int) -> tuple[list[News], int | None]:
    rows = await conn.fetch(_SELECT + " WHERE n.id < $1 ORDER BY n.id DESC LIMIT $2", before_id, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return [_news(r) for r in rows], (int(rows[-1]["id"]) if more and rows else None)


async def save(conn: asyncpg.Connection, news: News) -> None:
    await conn.execute(
        "UPDATE news SET title = $2, body = $3, html = $4, updated_at = now() WHERE id = $1",
        news.id,
        news.title,
        news.body,
        news.html,
    )


async def delete(conn: asyncpg.Connection, news_id: int) -> bool:
    done: str = await conn.execute("DELETE FROM news WHERE id = $1", news_id)
    return done.endswith(" 1")
