"""Posts: the list (filters, search, orders, pages), one post, writing, moderating, votes,
and the ticket a staff member made of a post. One transaction per use case; the events
go into the outbox inside it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_portal import events
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain import posts as rules
from helpdesk_portal.domain.posts import Answer, Author, NewPost, Post, PostChange
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import NotAllowed, PortalConflict, PostNotFound, invalid
from helpdesk_portal.store import file_table, post_table
from helpdesk_portal.store.post_table import PostQuery
from helpdesk_portal.usecases import cursors
from helpdesk_portal.usecases.guards import (
    name_to_remember,
    page_size,
    portal_on,
    query_text,
    remember,
    signed_in,
    within_hourly_limit,
)


@dataclass(frozen=True)
class PostPage:
    posts: list[Post]
    next_cursor: str


def _filters(kind: str, status: str, sort: str) -> str:
    errors: list[FieldError] = []
    if kind and kind not in rules.STATUSES:
        errors.append(FieldError("kind", f"one of {', '.join(rules.KINDS)}"))
    elif status and status not in (rules.STATUSES[kind] if kind else rules.STATUS_RANK):
        errors.append(FieldError("status", "not a status of this kind"))
    if sort and sort not in rules.SORTS:
        errors.append(FieldError("sort", f"one of {', '.join(rules.SORTS)}"))
    if errors:
        raise invalid(errors, "Bad filter.")
    return sort or "new"


async def list_posts(
    *,
    db: Database,
    viewer: Viewer,
    kind: str = "",
    status: str = "",
    q: str = "",
    sort: str = "",
    author_id: int = 0,
    limit: int = 0,
    cursor: str = "",
) -> PostPage:
    order = _filters(kind, status, sort)
    query = PostQuery(
        viewer_id=viewer.user_id,
        include_hidden=viewer.is_staff,
        kind=kind,
        status=status,
        text=query_text(q),
        sort=order,
        author_id=max(author_id, 0),
        limit=page_size(limit),
    )
    if cursor:
        value, last_id = cursors.decode(cursor, f"posts-{order}")
        query = replace(query, after=(cursors.number(value), cursors.number(last_id)))
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        found, after = await post_table.page(uow.conn, query)
    return PostPage(found, cursors.encode(f"posts-{order}", *after) if after else "")


async def _visible(conn: asyncpg.Connection, viewer: Viewer, post_id: int, *, lock: bool = False) -> Post:
    post = await post_table.get(conn, post_id, viewer.user_id, lock=lock)
    if post is None or not rules.can_read_post(viewer, post):
        raise PostNotFound()
    return post


async def _complete(conn: asyncpg.Connection, post: Post) -> Post:
    files = await file_table.of(conn, "post_id", [post.id])
    return replace(post, attachments=files.get(post.id, ()))


async def get_post(*, db: Database, viewer: Viewer, post_id: int) -> Post:
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        return await _complete(uow.conn, await _visible(uow.conn, viewer, post_id))


async def attach_files(
    conn: asyncpg.Connection, *, owner: str, owner_id: int, viewer: Viewer, ids: list[int]
) -> None:
    """The caller's own uploads, not yet attached elsewhere, go to the new owner; any other id is refused."""
    if await file_table.attach(
        conn, owner=owner, owner_id=owner_id, uploader_id=viewer.user_id, ids=ids
    ) != len(ids):
        raise invalid([FieldError("attachment_ids", "only your own uploads not yet attached elsewhere")])


async def create_post(*, db: Database, directory: Directory, viewer: Viewer, new: NewPost) -> Post:
    signed_in(viewer)
    checked, errors = new.checked()
    if errors:
        raise invalid(errors, "The post is not valid.")
    name = await name_to_remember(db, directory, viewer)
    async with db.unit_of_work() as uow:
        settings = await portal_on(uow.conn)
        await within_hourly_limit(uow.conn, table="posts", viewer=viewer, per_hour=settings.posts_per_hour)
        await remember(uow.conn, viewer, name)
        post_id = await post_table.insert(
            uow.conn,
            kind=checked.kind,
            title=checked.title,
            body=checked.body,
            html=markup.render(checked.body),
            author_id=viewer.user_id,
        )
        await attach_files(
            uow.conn, owner="post_id", owner_id=post_id, viewer=viewer, ids=checked.attachment_ids
        )
        post = await _complete(uow.conn, await _visible(uow.conn, viewer, post_id))
        await uow.record_event(*events.post_created(post, settings.notify_user_ids))
        await uow.commit()
    return post


def _changed(post: Post, change: PostChange, viewer: Viewer, author: Author) -> Post:
    title = post.title if change.title is None else change.title
    body = post.body if change.body is None else change.body
    html = post.html if change.body is None else markup.render(body)
    answer = post.answer
    if change.answer is not None and change.answer != (answer.body if answer else ""):
        answer = (
            Answer(change.answer, markup.render(change.answer), author, datetime.now(UTC))
            if change.answer
            else None
        )
    after = replace(
        post,
        title=title,
        body=body,
        html=html,
        answer=answer,
        is_hidden=post.is_hidden if change.is_hidden is None else change.is_hidden,
    )
    status = (
        change.status
        if change.status is not None
        else rules.status_after_answer(post, answer is not post.answer and answer is not None)
    )
    return replace(after, status=status)


async def update_post(
    *, db: Database, directory: Directory, viewer: Viewer, post_id: int, change: PostChange
) -> Post:
    """Each field is a right of its own: the author edits title and body; staff may also
    answer, set the status and hide (domain.posts.post_actions)."""
    signed_in(viewer)
    name = await name_to_remember(db, directory, viewer) if change.answer else None
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        post = await _visible(uow.conn, viewer, post_id, lock=True)
        checked, errors = change.checked(post)
        if errors:
            raise invalid(errors, "The change is not valid.")
        missing = checked.needs(post) - set(rules.post_actions(viewer, post))
        if missing:
            raise NotAllowed(f"You may not {', '.join(sorted(missing))} this post.")
        await remember(uow.conn, viewer, name)
        me = Author(viewer.user_id, name or viewer.name, viewer.is_staff)
        after = _changed(post, checked, viewer, me)
        if after == post:
            return await _complete(uow.conn, post)
        await post_table.save(uow.conn, after)
        saved = await _complete(uow.conn, await _visible(uow.conn, viewer, post_id))
        if saved.status != post.status:
            await uow.record_event(
                *events.post_status_changed(saved, actor_id=viewer.user_id, before=post.status)
            )
        if saved.answer is not None and (post.answer is None or saved.answer.body != post.answer.body):
            await uow.record_event(*events.post_answered(saved, actor_id=viewer.user_id))
        await uow.commit()
    return saved


async def vote_post(*, db: Database, viewer: Viewer, post_id: int, value: int) -> Post:
    """Like (1), dislike (-1) or take the vote back (0): one vote per user, changeable."""
    signed_in(viewer)
    errors = rules.vote_value(value)
    if errors:
        raise invalid(errors, "Bad vote.")
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        post = await _visible(uow.conn, viewer, post_id, lock=True)
        await post_table.vote(uow.conn, post.id, viewer.user_id, value)
        after = await _complete(uow.conn, await _visible(uow.conn, viewer, post_id))
        await uow.commit()
    return after


async def link_ticket(*, db: Database, viewer: Viewer, post_id: int, ticket_id: int) -> Post:
    """Records the ticket a staff member made of this post (the gateway made it with his
    passport just before). A post becomes one ticket at most."""
    signed_in(viewer)
    if ticket_id <= 0:
        raise invalid([FieldError("ticket_id", "a ticket id")])
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        post = await _visible(uow.conn, viewer, post_id, lock=True)
        if not viewer.is_staff:
            raise NotAllowed("Only staff turn posts into tickets.")
        if post.ticket_id == ticket_id:
            return await _complete(uow.conn, post)
        if post.ticket_id is not None:
            raise PortalConflict(f"The post is already ticket {post.ticket_id}.")
        await post_table.link_ticket(uow.conn, post.id, ticket_id)
        after = await _complete(uow.conn, await _visible(uow.conn, viewer, post_id))
        await uow.commit()
    return after
