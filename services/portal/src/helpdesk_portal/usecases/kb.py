"""The knowledge base: the category tree (admins), articles (staff write; each reader sees
what its visibility allows him), search, and "was this helpful" votes — one per user,
or per anonymous visitor cookie."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain.knowledge import Article, Category, NewArticle
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import ArticleNotFound, CategoryNotFound, NotAllowed, PortalConflict, invalid
from helpdesk_portal.store import file_table, kb_tables
from helpdesk_portal.store.kb_tables import ArticleQuery
from helpdesk_portal.usecases import cursors
from helpdesk_portal.usecases.guards import (
    name_to_remember,
    page_size,
    portal_on,
    query_text,
    remember,
    signed_in,
)
from helpdesk_portal.usecases.posts import attach_files


@dataclass(frozen=True)
class ArticlePage:
    articles: list[Article]
    next_cursor: str


def voter_key(viewer: Viewer, visitor: str) -> str:
    """Whose vote: the user's, else the anonymous visitor's (his cookie, hashed: the
    database never holds a value that would let someone vote as him)."""
    if viewer.is_signed_in:
        return f"u:{viewer.user_id}"
    if not visitor:
        return ""
    return "v:" + hashlib.sha256(visitor.encode()).hexdigest()


def _admin(viewer: Viewer) -> None:
    signed_in(viewer)
    if not knowledge.can_manage(viewer):
        raise NotAllowed("Only administrators manage categories.")


# ---- categories -------------------------------------------------------------------


async def list_categories(*, db: Database, viewer: Viewer) -> list[Category]:
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        return await kb_tables.categories(uow.conn, viewer)


async def _placed(conn: asyncpg.Connection, parent_id: int | None, moving: int | None) -> None:
    parents = await kb_tables.parents(conn)
    if parent_id is not None and parent_id not in parents:
        raise invalid([FieldError("parent_id", "no such category")])
    depth = knowledge.depth_below(parents, parent_id, moving)
    if depth < 0:
        raise invalid([FieldError("parent_id", "a category cannot sit under itself")])
    if depth > knowledge.MAX_DEPTH:
        raise invalid([FieldError("parent_id", f"at most {knowledge.MAX_DEPTH} levels")])


async def create_category(
    *, db: Database, viewer: Viewer, parent_id: int, name: str, position: int
) -> Category:
    _admin(viewer)
    errors: list[FieldError] = []
    name = knowledge.checked_category_name(name, errors)
    if errors:
        raise invalid(errors, "The category is not valid.")
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        parent = parent_id or None
        await _placed(uow.conn, parent, None)
        category_id = await kb_tables.insert_category(
            uow.conn, parent_id=parent, name=name, position=position
        )
        await uow.commit()
    return Category(category_id, parent, name, position)


async def update_category(
    *,
    db: Database,
    viewer: Viewer,
    category_id: int,
    name: str | None,
    parent_id: int | None,
    position: int | None,
) -> Category:
    """``parent_id`` 0 moves the category to the top level; None leaves it where it is."""
    _admin(viewer)
    errors: list[FieldError] = []
    new_name = None if name is None else knowledge.checked_category_name(name, errors)
    if errors:
        raise invalid(errors, "The category is not valid.")
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        current = await kb_tables.category(uow.conn, category_id)
        if current is None:
            raise CategoryNotFound()
        after = replace(
            current,
            name=current.name if new_name is None else new_name,
            parent_id=current.parent_id if parent_id is None else (parent_id or None),
            position=current.position if position is None else position,
        )
        if after.parent_id != current.parent_id:
            await _placed(uow.conn, after.parent_id, category_id)
        await kb_tables.save_category(uow.conn, after)
        await uow.commit()
    return after


async def delete_category(*, db: Database, viewer: Viewer, category_id: int) -> None:
    _admin(viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        if await kb_tables.category(uow.conn, category_id) is None:
            raise CategoryNotFound()
        if not await kb_tables.is_empty(uow.conn, category_id):
            raise PortalConflict("The category still holds articles or categories.")
        await kb_tables.delete_category(uow.conn, category_id)
        await uow.commit()


# ---- articles ---------------------------------------------------------------------


async def list_articles(
    *,
    db: Database,
    viewer: Viewer,
    category_id: int = 0,
    q: str = "",
    limit: int = 0,
    cursor: str = "",
    visitor: str = "",
) -> ArticlePage:
    query = ArticleQuery(
        viewer=viewer,
        voter=voter_key(viewer, visitor),
        category_id=max(category_id, 0),
        text=query_text(q),
        limit=page_size(limit),
    )
    if cursor:
        title, last_id = cursors.decode(cursor, "articles")
        query = replace(query, after=(cursors.text(title), cursors.number(last_id)))
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        found, after = await kb_tables.articles(uow.conn, query)
    return ArticlePage(found, cursors.encode("articles", *after) if after else "")


async def _readable(conn: asyncpg.Connection, viewer: Viewer, article_id: int, voter: str) -> Article:
    article = await kb_tables.article(conn, article_id, voter)
    if article is None or not knowledge.can_read_article(viewer, article):
        raise ArticleNotFound()
    files = await file_table.of(conn, "article_id", [article.id])
    return replace(article, attachments=files.get(article.id, ()))


async def get_article(*, db: Database, viewer: Viewer, article_id: int, visitor: str = "") -> Article:
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        return await _readable(uow.conn, viewer, article_id, voter_key(viewer, visitor))


async def create_article(*, db: Database, directory: Directory, viewer: Viewer, new: NewArticle) -> Article:
    signed_in(viewer)
    if not knowledge.can_write_articles(viewer):
        raise NotAllowed("Only staff write articles.")
    errors: list[FieldError] = []
    title = knowledge.checked_title(new.title, errors)
    body = knowledge.checked_article_body(new.body, errors)
    units = knowledge.checked_audience(new.visibility, new.unit_ids, errors)
    files = knowledge.checked_files(new.attachment_ids, errors)
    if errors:
        raise invalid(errors, "The article is not valid.")
    name = await name_to_remember(db, directory, viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        if await kb_tables.category(uow.conn, new.category_id) is None:
            raise invalid([FieldError("category_id", "no such category")])
        await remember(uow.conn, viewer, name)
        article_id = await kb_tables.insert_article(
            uow.conn,
            category_id=new.category_id,
            title=title,
            body=body,
            html=markup.render(body),
            visibility=new.visibility,
            unit_ids=units,
            author_id=viewer.user_id,
        )
        await attach_files(uow.conn, owner="article_id", owner_id=article_id, viewer=viewer, ids=files)
        article = await _readable(uow.conn, viewer, article_id, voter_key(viewer, ""))
        await uow.commit()
    return article


@dataclass(frozen=True)
class ArticleChange:
    category_id: int | None = None
    title: str | None = None
    body: str | None = None
    visibility: str | None = None
    unit_ids: list[int] | None = None


async def _editable(conn: asyncpg.Connection, viewer: Viewer, article_id: int) -> Article:
    article = await _readable(conn, viewer, article_id, voter_key(viewer, ""))
    if knowledge.EDIT not in knowledge.article_actions(viewer, article):
        raise NotAllowed("Only its author, department heads and administrators change an article.")
    return article


async def update_article(*, db: Database, viewer: Viewer, article_id: int, change: ArticleChange) -> Article:
    signed_in(viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        article = await _editable(uow.conn, viewer, article_id)
        errors: list[FieldError] = []
        title = article.title if change.title is None else knowledge.checked_title(change.title, errors)
        body = article.body if change.body is None else knowledge.checked_article_body(change.body, errors)
        visibility = change.visibility or article.visibility
        wanted = list(article.unit_ids) if change.unit_ids is None else change.unit_ids
        if change.visibility is not None and change.visibility != "staff" and change.unit_ids is None:
            wanted = []  # narrowing to units applies to staff articles only
        units = knowledge.checked_audience(visibility, wanted, errors)
        category = article.category_id if change.category_id is None else change.category_id
        if category != article.category_id and await kb_tables.category(uow.conn, category) is None:
            errors.append(FieldError("category_id", "no such category"))
        if errors:
            raise invalid(errors, "The article is not valid.")
        after = replace(
            article,
            category_id=category,
            title=title,
            body=body,
            html=article.html if change.body is None else markup.render(body),
            visibility=visibility,
            unit_ids=units,
        )
        if after != article:
            await kb_tables.save_article(uow.conn, after)
        saved = await _readable(uow.conn, viewer, article_id, voter_key(viewer, ""))
        await uow.commit()
    return saved


async def delete_article(*, db: Database, viewer: Viewer, article_id: int) -> None:
    signed_in(viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        await _editable(uow.conn, viewer, article_id)
        await kb_tables.delete_article(uow.conn, article_id)
        await uow.commit()


async def vote_article(
    *, db: Database, viewer: Viewer, article_id: int, helpful: bool, visitor: str = ""
) -> Article:
    """One vote per reader who may read the article; a second vote replaces the first."""
    if not viewer.is_signed_in:
        errors = knowledge.checked_visitor(visitor)
        if errors:
            raise invalid(errors, "An anonymous vote needs the visitor cookie.")
    voter = voter_key(viewer, visitor)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        await _readable(uow.conn, viewer, article_id, voter)
        await uow.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"portal:vote:{article_id}:{voter}"
        )
        await kb_tables.vote(uow.conn, article_id, voter, helpful)
        after = await _readable(uow.conn, viewer, article_id, voter)
        await uow.commit()
    return after
