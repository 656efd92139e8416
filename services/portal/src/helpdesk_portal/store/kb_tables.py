"""The knowledge base: categories, articles (with who may read them, in SQL), helpful votes."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from helpdesk_portal.domain.knowledge import Article, Category
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.store.post_table import author
from helpdesk_portal.store.search import ARTICLE_VECTOR, matches, search_text

# ---- categories -------------------------------------------------------------------


async def categories(conn: asyncpg.Connection, viewer: Viewer) -> list[Category]:
    """Every category, with the number of articles in it that ``viewer`` may read."""
    readable, args = readable_clause(viewer, first=1)
    rows = await conn.fetch(
        "SELECT c.id, c.parent_id, c.name, c.position,"
        f" (SELECT count(*) FROM articles a WHERE a.category_id = c.id AND {readable}) AS n"
        " FROM categories c ORDER BY c.position, c.name, c.id",
        *args,
    )
    return [Category(r["id"], r["parent_id"], r["name"], r["position"], r["n"]) for r in rows]


async def parents(conn: asyncpg.Connection) -> dict[int, int | None]:
    rows = await conn.fetch("SELECT id, parent_id FROM categories")
    return {r["id"]: r["parent_id"] for r in rows}


async def category(conn: asyncpg.Connection, category_id: int) -> Category | None:
    r = await conn.fetchrow("SELECT id, parent_id, name, position FROM categories WHERE id = $1", category_id)
    return Category(r["id"], r["parent_id"], r["name"], r["position"]) if r is not None else None


async def insert_category(
    conn: asyncpg.Connection, *, parent_id: int | None, name: str, position: int
) -> int:
    category_id: int = await conn.fetchval(
        "INSERT INTO categories (parent_id, name, position) VALUES ($1, $2, $3) RETURNING id",
        parent_id,
        name,
        position,
    )
    return category_id


async def save_category(conn: asyncpg.Connection, c: Category) -> None:
    await conn.execute(
        "UPDATE categories SET parent_id = $2, name = $3, position = $4 WHERE id = $1",
        c.id,
        c.parent_id,
        c.name,
        c.position,
    )


async def is_empty(conn: asyncpg.Connection, category_id: int) -> bool:
    return not await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM articles WHERE category_id = $1)"
        " OR EXISTS (SELECT 1 FROM categories WHERE parent_id = $1)",
        category_id,
    )


async def delete_category(conn: asyncpg.Connection, category_id: int) -> None:
    await conn.execute("DELETE FROM categories WHERE id = $1", category_id)


# ---- articles ---------------------------------------------------------------------

_SELECT = """
SELECT a.id, a.category_id, a.title, a.body, a.html, a.visibility, a.unit_ids, a.author_id,
       pe.name AS author_name, pe.is_staff AS author_is_staff, a.created_at, a.updated_at,
       a.helpful_yes, a.helpful_no,
       COALESCE((SELECT CASE WHEN v.helpful THEN 1 ELSE -1 END FROM article_votes v
                 WHERE v.article_id = a.id AND v.voter = $1), 0) AS my_vote
FROM articles a LEFT JOIN people pe ON pe.user_id = a.author_id
"""


def readable_clause(viewer: Viewer, *, first: int) -> tuple[str, list[object]]:
    """SQL true for the articles ``viewer`` may read (domain.knowledge.can_read_article),
    with its arguments numbered from ``$first``."""
    if not viewer.is_signed_in:
        return "a.visibility = 'public'", []
    if not viewer.is_staff:
        return "a.visibility IN ('public', 'clients')", []
    if viewer.sees_every_article:
        return "true", []
    return (
        f"(a.visibility IN ('public', 'clients') OR a.author_id = ${first}"
        f" OR (a.visibility = 'staff' AND (a.unit_ids = '{{}}' OR a.unit_ids && ${first + 1}::bigint[])))",
        [viewer.user_id, list(viewer.unit_ids)],
    )


def _article(r: asyncpg.Record) -> Article:
    return Article(
        id=r["id"],
        category_id=r["category_id"],
        title=r["title"],
        body=r["body"],
        html=r["html"],
        visibility=r["visibility"],
        unit_ids=tuple(r["unit_ids"]),
        author=author(r["author_id"], r["author_name"], r["author_is_staff"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        helpful_yes=r["helpful_yes"],
        helpful_no=r["helpful_no"],
        my_vote=r["my_vote"],
    )


async def insert_article(
    conn: asyncpg.Connection,
    *,
    category_id: int,
    title: str,
    body: str,
    html: str,
    visibility: str,
    unit_ids: tuple[int, ...],
    author_id: int,
) -> int:
    vector = ARTICLE_VECTOR.format(t="$8", b="$9")
    article_id: int = await conn.fetchval(
        "INSERT INTO articles (category_id, title, body, html, visibility, unit_ids, author_id, search)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, {vector}) RETURNING id",
        category_id,
        title,
        body,
        html,
        visibility,
        list(unit_ids),
        author_id,
        search_text(title),
        search_text(body),
    )
    return article_id


async def article(conn: asyncpg.Connection, article_id: int, voter: str) -> Article | None:
    row = await conn.fetchrow(_SELECT + " WHERE a.id = $2", voter, article_id)
    return _article(row) if row is not None else None


@dataclass(frozen=True)
class ArticleQuery:
    viewer: Viewer
    voter: str
    category_id: int = 0
    text: str = ""
    limit: int = 50
    after: tuple[str, int] | None = None  # (title, id) of the previous page's last row


async def articles(conn: asyncpg.Connection, q: ArticleQuery) -> tuple[list[Article], tuple[str, int] | None]:
    args: list[object] = [q.voter]
    readable, more_args = readable_clause(q.viewer, first=2)
    args += more_args
    where = [readable]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if q.category_id:
        where.append(f"a.category_id = {arg(q.category_id)}")
    if q.text:
        where.append(matches("a.search", arg(search_text(q.text))))
    if q.after is not None:
        where.append(f"(a.title, a.id) > ({arg(q.after[0])}, {arg(q.after[1])})")
    sql = _SELECT + " WHERE " + " AND ".join(where) + f" ORDER BY a.title, a.id LIMIT {arg(q.limit + 1)}"
    rows = await conn.fetch(sql, *args)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    after = (str(rows[-1]["title"]), int(rows[-1]["id"])) if more and rows else None
    return [_article(r) for r in rows], after


async def save_article(conn: asyncpg.Connection, a: Article) -> None:
    vector = ARTICLE_VECTOR.format(t="$8", b="$9")
    await conn.execute(
        "UPDATE articles SET category_id = $2, title = $3, body = $4, html = $5, visibility = $6,"
        f" unit_ids = $7, search = {vector}, updated_at = now() WHERE id = $1",
        a.id,
        a.category_id,
        a.title,
        a.body,
        a.html,
        a.visibility,
        list(a.unit_ids),
        search_text(a.title),
        search_text(a.body),
    )


async def delete_article(conn: asyncpg.Connection, article_id: int) -> None:
    await conn.execute("DELETE FROM articles WHERE id = $1", article_id)


async def vote(conn: asyncpg.Connection, article_id: int, voter: str, helpful: bool) -> None:
    """One vote per voter, changeable; the article's counts follow."""
    old = await conn.fetchval(
        "DELETE FROM article_votes WHERE article_id = $1 AND voter = $2 RETURNING helpful", article_id, voter
    )
    await conn.execute(
        "INSERT INTO article_votes (article_id, voter, helpful) VALUES ($1, $2, $3)",
        article_id,
        voter,
        helpful,
    )
    yes = int(helpful) - int(old is True)
    no = int(not helpful) - int(old is False)
    if yes or no:
        await conn.execute(
            "UPDATE articles SET helpful_yes = helpful_yes + $2, helpful_no = helpful_no + $3 WHERE id = $1",
            article_id,
            yes,
            no,
        )
