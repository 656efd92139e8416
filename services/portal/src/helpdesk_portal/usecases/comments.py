"""Comments of posts: the thread (oldest first), writing one (which tells the post's
author and everyone who commented before), editing and hiding."""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_portal import events
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain import posts as rules
from helpdesk_portal.domain.posts import Comment, NewComment
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import CommentNotFound, NotAllowed, PostNotFound, invalid
from helpdesk_portal.store import comment_table, file_table, post_table
from helpdesk_portal.usecases import cursors
from helpdesk_portal.usecases.guards import (
    name_to_remember,
    page_size,
    portal_on,
    remember,
    signed_in,
    within_hourly_limit,
)
from helpdesk_portal.usecases.posts import attach_files


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    next_cursor: str


async def _with_files(conn: asyncpg.Connection, comments: list[Comment]) -> list[Comment]:
    files = await file_table.of(conn, "comment_id", [c.id for c in comments])
    return [replace(c, attachments=files.get(c.id, ())) for c in comments]


async def _post(conn: asyncpg.Connection, viewer: Viewer, post_id: int) -> rules.Post:
    post = await post_table.get(conn, post_id, viewer.user_id)
    if post is None or not rules.can_read_post(viewer, post):
        raise PostNotFound()
    return post


async def list_comments(
    *, db: Database, viewer: Viewer, post_id: int, limit: int = 0, cursor: str = ""
) -> CommentPage:
    size = page_size(limit)
    after_id = cursors.number(cursors.decode(cursor, "comments")[0]) if cursor else 0
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        await _post(uow.conn, viewer, post_id)
        found, last = await comment_table.page(
            uow.conn, post_id=post_id, include_hidden=viewer.is_staff, after_id=after_id, limit=size
        )
        found = await _with_files(uow.conn, found)
    return CommentPage(found, cursors.encode("comments", last) if last else "")


async def add_comment(
    *, db: Database, directory: Directory, viewer: Viewer, post_id: int, new: NewComment
) -> Comment:
    signed_in(viewer)
    checked, errors = new.checked()
    if errors:
        raise invalid(errors, "The comment is not valid.")
    name = await name_to_remember(db, directory, viewer)
    async with db.unit_of_work() as uow:
        settings = await portal_on(uow.conn)
        post = await _post(uow.conn, viewer, post_id)
        await within_hourly_limit(
            uow.conn, table="comments", viewer=viewer, per_hour=settings.comments_per_hour
        )
        await remember(uow.conn, viewer, name)
        comment_id = await comment_table.insert(
            uow.conn,
            post_id=post.id,
            author_id=viewer.user_id,
            body=checked.body,
            html=markup.render(checked.body),
        )
        await attach_files(
            uow.conn, owner="comment_id", owner_id=comment_id, viewer=viewer, ids=checked.attachment_ids
        )
        earlier = await comment_table.earlier_commenters(uow.conn, post.id, comment_id)
        await uow.record_event(
            *events.post_commented(
                post, actor_id=viewer.user_id, comment_id=comment_id, body=checked.body, earlier=earlier
            )
        )
        comment = await comment_table.get(uow.conn, comment_id)
        assert comment is not None
        [comment] = await _with_files(uow.conn, [comment])
        await uow.commit()
    return comment


async def update_comment(
    *, db: Database, viewer: Viewer, comment_id: int, body: str | None, is_hidden: bool | None
) -> Comment:
    """The author (or staff) edits the text; staff hide and show comments."""
    signed_in(viewer)
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        comment = await comment_table.get(uow.conn, comment_id, lock=True)
        if comment is None or not rules.can_read_comment(viewer, comment):
            raise CommentNotFound()
        try:
            await _post(uow.conn, viewer, comment.post_id)
        except PostNotFound:
            raise CommentNotFound() from None
        allowed = set(rules.comment_actions(viewer, comment))
        after = comment
        if body is not None and body != comment.body:
            text, errors = rules.checked_comment_body(body)
            if errors:
                raise invalid(errors, "The comment is not valid.")
            if rules.EDIT not in allowed:
                raise NotAllowed("You may not edit this comment.")
            after = replace(after, body=text, html=markup.render(text))
        if is_hidden is not None and is_hidden != comment.is_hidden:
            if rules.HIDE not in allowed:
                raise NotAllowed("Only staff hide comments.")
            after = replace(after, is_hidden=is_hidden)
        if after != comment:
            await comment_table.save(uow.conn, after, was_hidden=comment.is_hidden)
        saved = await comment_table.get(uow.conn, comment_id)
        assert saved is not None
        [saved] = await _with_files(uow.conn, [saved])
        await uow.commit()
    return saved
