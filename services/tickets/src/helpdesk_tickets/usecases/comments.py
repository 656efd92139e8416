"""Comments (Markdown, sanitised; with files uploaded before) and the comment box's preview."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import events, store
from helpdesk_tickets.domain import MAX_COMMENT, MAX_COMMENT_FILES, Action, Actor, Comment
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.usecases.guards import ticket_to_change, visible_ticket


async def _claim_attachments(
    conn: asyncpg.Connection, actor: Actor, ticket_id: int, attachment_ids: list[int]
) -> None:
    """Each file must be this caller's upload to this ticket, not yet on a comment."""
    found = {a.id: a for a in await store.attachments_for_update(conn, attachment_ids)}
    for attachment_id in attachment_ids:
        a = found.get(attachment_id)
        if a is None or a.ticket_id != ticket_id or a.author_id != actor.user_id:
            problem = "no such file uploaded by you to this ticket"
        elif a.comment_id is not None:
            problem = "already on another comment"
        else:
            continue
        raise InvalidTicket(
            "The comment is not valid.", errors=[FieldError("attachment_ids", f"{attachment_id}: {problem}")]
        )


async def add_comment(
    *, db: Database, actor: Actor, ticket_id: int, body: str, attachment_ids: list[int] | None = None
) -> Comment:
    """A comment needs words or at least one file (uploaded before, by the same caller)."""
    files_ = list(attachment_ids or [])
    errors = []
    if len(body) > MAX_COMMENT or (not body.strip() and not files_):
        errors.append(FieldError("body", f"between 1 and {MAX_COMMENT} characters, or attach a file"))
    if len(set(files_)) != len(files_) or len(files_) > MAX_COMMENT_FILES:
        errors.append(FieldError("attachment_ids", f"distinct, at most {MAX_COMMENT_FILES}"))
    if errors:
        raise InvalidTicket("The comment is not valid.", errors=errors)
    async with db.unit_of_work() as uow:
        ticket = await ticket_to_change(uow.conn, actor, ticket_id, Action.COMMENT)
        if files_:
            await _claim_attachments(uow.conn, actor, ticket_id, files_)
        previous = await store.commenter_ids(uow.conn, ticket_id)
        comment = await store.insert_comment(uow.conn, ticket_id, actor.user_id, body, markup.render(body))
        if files_:
            linked = await store.link_attachments(uow.conn, comment.id, files_)
            comment = replace(comment, attachments=tuple(linked))
        saved = await store.save_ticket(uow.conn, ticket)
        diff: dict[str, Any] = {"comment_id": [None, comment.id]}
        if files_:
            diff["attachment_ids"] = [None, sorted(files_)]
        await store.add_history(uow.conn, ticket_id, actor.user_id, "commented", diff)
        await uow.record_event(*events.ticket_commented(saved, actor, comment, previous))
        await uow.commit()
    return comment


async def list_comments(*, db: Database, actor: Actor, ticket_id: int) -> list[Comment]:
    async with db.unit_of_work() as uow:
        await visible_ticket(uow.conn, actor, ticket_id)
        return await store.comments(uow.conn, ticket_id)


def render_markdown(text: str) -> str:
    """The comments' renderer and sanitiser, for the comment box's preview."""
    if len(text) > MAX_COMMENT:
        raise InvalidTicket(
            "The text is too long.", errors=[FieldError("text", f"at most {MAX_COMMENT} characters")]
        )
    return markup.render(text)
