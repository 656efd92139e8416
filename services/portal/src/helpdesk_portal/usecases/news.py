"""News: admins write, everyone reads, newest first."""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain.knowledge import News
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import NewsNotFound, NotAllowed, invalid
from helpdesk_portal.store import file_table, news_table
from helpdesk_portal.usecases import cursors
from helpdesk_portal.usecases.guards import name_to_remember, page_size, portal_on, remember, signed_in
from helpdesk_portal.usecases.posts import attach_files


@dataclass(frozen=True)
class NewsPage:
    news: list[News]
    next_cursor: str


def _admin(viewer: Viewer) -> None:
    signed_in(viewer)
    if not knowledge.can_manage(viewer):
        raise NotAllowed("Only administrators write news.")


async def _with_files(conn: asyncpg.Connection, items: list[News]) -> list[News]:
    files = await file_table.of(conn, "news_id", [n.id for n in items])
    return [replace(n, attachments=files.get(n.id, ())) for n in items]


async def _one(conn: asyncpg.Connection, news_id: int) -> News:
    found = await news_table.get(conn, news_id)
    if found is None:
        raise NewsNotFound()
    [news] = await _with_files(conn, [found])
    return news


async def list_news(*, db: Database, limit: int = 0, cursor: str = "") -> NewsPage:
    size = page_size(limit)
    before = cursors.number(cursors.decode(cursor, "news")[0]) if cursor else 2**63 - 1
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        found, last = await news_table.page(uow.conn, before_id=before, limit=size)
        found = await _with_files(uow.conn, found)
    return NewsPage(found, cursors.encode("news", last) if last else "")


async def get_news(*, db: Database, news_id: int) -> News:
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        return await _one(uow.conn, news_id)


async def create_news(
    *, db: Database, directory: Directory, viewer: Viewer, title: str, body: str, attachment_ids: list[int]
) -> News:
    _admin(viewer)
    errors: list[FieldError] = []
    title = knowledge.checked_title(title, errors)
    body = knowledge.checked_news_body(body, errors)
    files = knowledge.checked_files(attachment_ids, errors)
    if errors:
        raise invalid(errors, "The news item is not valid.")
    name = await name_to_remember(db, directory, viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        await remember(uow.conn, viewer, name)
        news_id = await news_table.insert(
            uow.conn, title=title, body=body, html=markup.render(body), author_id=viewer.user_id
        )
        await attach_files(uow.conn, owner="news_id", owner_id=news_id, viewer=viewer, ids=files)
        news = await _one(uow.conn, news_id)
        await uow.commit()
    return news


async def update_news(
    *, db: Database, viewer: Viewer, news_id: int, title: str | None, body: str | None
) -> News:
    _admin(viewer)
    errors: list[FieldError] = []
    new_title = None if title is None else knowledge.checked_title(title, errors)
    new_body = None if body is None else knowledge.checked_news_body(body, errors)
    if errors:
        raise invalid(errors, "The news item is not valid.")
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        news = await _one(uow.conn, news_id)
        after = replace(
            news,
            title=news.title if new_title is None else new_title,
            body=news.body if new_body is None else new_body,
            html=news.html if new_body is None else markup.render(new_body),
        )
        if after != news:
            await news_table.save(uow.conn, after)
            after = await _one(uow.conn, news_id)
        await uow.commit()
    return after


async def delete_news(*, db: Database, viewer: Viewer, news_id: int) -> None:
    _admin(viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        if not await news_table.delete(uow.conn, news_id):
            raise NewsNotFound()
        await uow.commit()
