"""Comments (Markdown, sanitised; with files uploaded before), internal notes, a client's
comment reopening his done ticket, and the comment box's preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from helpdesk_kit import markup
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import events, store
from helpdesk_tickets.domain import (
    MAX_COMMENT,
    MAX_COMMENT_FILES,
    STATE_TABLE,
    WORK_FIELDS,
    Action,
    Actor,
    Comment,
    State,
    Ticket,
    changes,
    moved,
)
from helpdesk_tickets.errors import InvalidTicket, NotAllowed
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, SettingsCache
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


def internal_by_default(actor: Actor, settings: dict[str, Any]) -> bool:
    """Whether a new comment of this caller is an internal note unless he says otherwise."""
    return (
        not actor.is_client and actor.role is not None and actor.role.value in settings["internal_by_default"]
    )


async def _reopened_by_client(
    uow: Any, actor: Actor, ticket: Ticket, settings: dict[str, Any]
) -> Ticket | None:
    """A client's comment on his done ticket reopens it (back in work by the one who finished
    it) when the settings allow and it was done at most ``client_reopen_days`` ago."""
    if not (actor.is_client and ticket.state is State.DONE and settings["client_reopen"]):
        return None
    done_at = await store.done_at(uow.conn, ticket.id)
    if done_at is None or datetime.now(UTC) - done_at > timedelta(days=settings["client_reopen_days"]):
        return None
    saved = await store.save_ticket(uow.conn, moved(ticket, Action.REOPEN, actor.user_id))
    await store.count_day(uow.conn, saved.updated_at, saved.unit_id, "reopened")
    await store.add_history(
        uow.conn,
        ticket.id,
        actor.user_id,
        STATE_TABLE[Action.REOPEN].history,
        changes(ticket, saved, WORK_FIELDS),
    )
    await uow.record_event(*events.work_event(Action.REOPEN, ticket, saved, actor))
    return saved


def _check_comment(body: str, files_: list[int]) -> None:
    """Words or at least one file, within the limits."""
    errors = []
    if len(body) > MAX_COMMENT or (not body.strip() and not files_):
        errors.append(FieldError("body", f"between 1 and {MAX_COMMENT} characters, or attach a file"))
    if len(set(files_)) != len(files_) or len(files_) > MAX_COMMENT_FILES:
        errors.append(FieldError("attachment_ids", f"distinct, at most {MAX_COMMENT_FILES}"))
    if errors:
        raise InvalidTicket("The comment is not valid.", errors=errors)


async def add_comment(
    *,
    db: Database,
    actor: Actor,
    ticket_id: int,
    body: str,
    attachment_ids: list[int] | None = None,
    idempotency_key: str | None = None,
    internal: bool | None = None,
    settings: SettingsCache | None = None,
) -> Comment:
    """A comment needs words or at least one file (uploaded before, by the same caller).
    ``internal`` None takes the default of the caller's role; clients write no notes.

    With ``idempotency_key``, the same key from the same user returns the comment it
    made and adds nothing (mail intake retrying a mail)."""
    current = await settings.get(db) if settings is not None else DEFAULT_SETTINGS
    if internal and actor.is_client:
        raise NotAllowed("Clients do not write internal notes.", key="comment.internal_client")
    is_internal = internal_by_default(actor, current) if internal is None else internal
    files_ = list(attachment_ids or [])
    _check_comment(body, files_)
    async with db.unit_of_work() as uow:
        if idempotency_key:
            earlier = await store.claim_comment_key(uow.conn, actor.user_id, idempotency_key)
            if earlier is not None:
                return earlier
        ticket = await ticket_to_change(uow.conn, actor, ticket_id, Action.COMMENT)
        if files_:
            await _claim_attachments(uow.conn, actor, ticket_id, files_)
        previous = await store.commenter_ids(uow.conn, ticket_id)
        ticket = await _reopened_by_client(uow, actor, ticket, current) or ticket
        comment = await store.insert_comment(
            uow.conn, ticket_id, actor.user_id, body, markup.render(body), internal=is_internal
        )
        if files_:
            linked = await store.link_attachments(uow.conn, comment.id, files_)
            comment = replace(comment, attachments=tuple(linked))
        if idempotency_key:
            await store.save_comment_key(uow.conn, actor.user_id, idempotency_key, comment.id)
        saved = await store.save_ticket(uow.conn, ticket)
        diff: dict[str, Any] = {"comment_id": [None, comment.id]}
        if files_:
            diff["attachment_ids"] = [None, sorted(files_)]
            diff["attachments"] = [None, [a.filename for a in comment.attachments]]
        if is_internal:
            diff["internal"] = [None, True]
        await store.add_history(uow.conn, ticket_id, actor.user_id, "commented", diff)
        await uow.record_event(*events.ticket_commented(saved, actor, comment, previous))
        await uow.commit()
    return comment


async def list_comments(*, db: Database, actor: Actor, ticket_id: int) -> list[Comment]:
    """Every comment for staff; for clients, all but the internal notes."""
    async with db.unit_of_work() as uow:
        await visible_ticket(uow.conn, actor, ticket_id)
        return await store.comments(uow.conn, ticket_id, with_internal=not actor.is_client)


def render_markdown(text: str) -> str:
    """The comments' renderer and sanitiser, for the comment box's preview."""
    if len(text) > MAX_COMMENT:
        raise InvalidTicket(
            "The text is too long.", errors=[FieldError("text", f"at most {MAX_COMMENT} characters")]
        )
    return markup.render(text)


def render_description(text: str) -> str:
    """A ticket's description as sanitised HTML, with the comments' renderer (no length
    check: the description was checked when it was written)."""
    return markup.render(text)
