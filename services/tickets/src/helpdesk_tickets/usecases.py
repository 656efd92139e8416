"""Tickets' use cases: one function each, one transaction each.

Every change takes the ticket's row lock (``SELECT ... FOR UPDATE``) before the
rules are judged, so two members taking one ticket at once queue up: the first
wins, the second finds it in work and gets 409. The change, its history entry and
its event commit together (transactional outbox).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import FieldError
from helpdesk_kit.logs import get_logger
from helpdesk_tickets import events, fields, files, markup, store
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import (
    BOXES,
    EDIT_FIELDS,
    WORK_FIELDS,
    Action,
    Actor,
    Attachment,
    Comment,
    HistoryEntry,
    ListQuery,
    NewTicket,
    Priority,
    Role,
    Schedule,
    State,
    Subject,
    Ticket,
    Verdict,
    can_see,
    changes,
    is_staff,
    judge,
)
from helpdesk_tickets.errors import (
    FieldNotFound,
    InvalidTicket,
    NotAllowed,
    RecurringNotFound,
    StaleTicket,
    SubjectNotFound,
    TicketNotFound,
    WrongState,
)
from helpdesk_tickets.storage import BlobStore

log = get_logger(__name__)

DEFAULT_SETTINGS: dict[str, Any] = {
    "days_to_archive": 3,
    "max_file_bytes": 10 * 1024 * 1024,
    "allowed_types": ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"],
    "free_text_subjects": True,
}
MAX_COMMENT = 50_000


class SettingsCache:
    """The ``tickets`` settings section, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._value: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self._at = -1e9

    async def get(self, db: Database) -> dict[str, Any]:
        if time.monotonic() - self._at > self._ttl:
            async with db.unit_of_work() as uow:
                stored = await store.settings_section(uow.conn, "tickets")
            self._value = {**DEFAULT_SETTINGS, **(stored or {})}
            self._at = time.monotonic()
        return self._value

    def forget(self) -> None:
        self._at = -1e9


class FieldsCache:
    """The live custom field definitions, re-read at most every ``ttl`` seconds, at once
    after a change through this replica, and when a request names a field not cached."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._value: dict[int, fields.CustomField] = {}
        self._at = -1e9

    async def get(self, db: Database, *, wanted: Iterable[str] = ()) -> dict[int, fields.CustomField]:
        stale = time.monotonic() - self._at > self._ttl
        ids = {fields.field_id(k) for k in wanted} - {None}
        if stale or not ids <= self._value.keys():
            async with db.unit_of_work() as uow:
                found = await store.custom_fields(uow.conn)
            self._value = {f.id: f for f in found}
            self._at = time.monotonic()
        return self._value

    def forget(self) -> None:
        self._at = -1e9


def _check(verdict: Verdict, action: Action, t: Ticket) -> None:
    if verdict is Verdict.ALLOWED:
        return
    if verdict is Verdict.INVISIBLE:
        raise TicketNotFound()
    if verdict is Verdict.WRONG_STATE:
        raise WrongState(f"Cannot {action.value} a ticket that is {t.state.value}.")
    raise NotAllowed(f"You may not {action.value} this ticket.")


# --- create / read ----------------------------------------------------------------------


async def create_ticket(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    new: NewTicket,
    idempotency_key: str | None,
    settings: SettingsCache | None = None,
    custom: FieldsCache | None = None,
) -> Ticket:
    defs = await (custom or FieldsCache()).get(db, wanted=new.custom_fields)
    new = replace(
        new,
        custom_fields=fields.apply_values(
            defs, new.custom_fields, current={}, is_client=actor.is_client, creating=True
        ),
    )
    if new.subject_id:
        async with db.unit_of_work() as uow:
            subject = await store.subject_by_id(uow.conn, new.subject_id)
        if subject is None:
            raise InvalidTicket(
                "The ticket is not valid.", errors=[FieldError("subject_id", "no such subject")]
            )
        new = replace(new, subject=subject.name, sla_plan_id=subject.sla_plan_id)
    elif settings is not None and not (await settings.get(db))["free_text_subjects"]:
        raise InvalidTicket(
            "The ticket is not valid.", errors=[FieldError("subject_id", "choose a subject from the list")]
        )
    new = new.checked(actor=actor, known_units=await units.known(new.unit_id))
    if actor.is_client:
        client_group_id = actor.client_group_id
    elif new.client_id:
        client_group_id = await units.client_group_of(new.client_id)
    else:
        client_group_id = None
    author_units = [] if actor.is_client else sorted(actor.unit_ids)
    async with db.unit_of_work() as uow:
        if idempotency_key:
            earlier = await store.claim_idempotency_key(uow.conn, actor.user_id, idempotency_key)
            if earlier is not None:
                ticket = await store.ticket_by_id(uow.conn, earlier)
                if ticket is not None:
                    return ticket
        ticket = await store.insert_ticket(
            uow.conn,
            new,
            ref=secrets.token_urlsafe(16),
            author_id=actor.user_id,
            author_unit_ids=author_units,
            client_group_id=client_group_id,
        )
        if idempotency_key:
            await store.save_idempotency_key(uow.conn, actor.user_id, idempotency_key, ticket.id)
        await uow.record_event(*events.ticket_created(ticket, actor))
        await uow.commit()
    log.debug("ticket.created", ticket_id=ticket.id, actor_id=actor.user_id)
    return ticket


async def get_ticket(*, db: Database, actor: Actor, ticket_id: int) -> Ticket:
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
    if ticket is None or not can_see(actor, ticket):
        raise TicketNotFound()
    return ticket


async def ticket_history(
    *, db: Database, actor: Actor, ticket_id: int, custom: FieldsCache | None = None
) -> list[HistoryEntry]:
    """The first 1000 entries, oldest first (see ``history_page``)."""
    entries, _ = await history_page(db=db, actor=actor, ticket_id=ticket_id, custom=custom)
    return entries


async def history_page(
    *,
    db: Database,
    actor: Actor,
    ticket_id: int,
    limit: int = 1000,
    cursor: str | None = None,
    custom: FieldsCache | None = None,
) -> tuple[list[HistoryEntry], str | None]:
    """A page of the history, oldest first, and the cursor of the next page (None: last).
    Clients do not see changes of custom fields that are not shown to them."""
    if not 1 <= limit <= 1000:
        raise InvalidTicket("Bad page.", errors=[FieldError("limit", "between 1 and 1000")])
    after_id = _decode_history_cursor(cursor) if cursor else 0
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
        if ticket is None or not can_see(actor, ticket):
            raise TicketNotFound()
        entries = await store.history(uow.conn, ticket_id, after_id=after_id, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    next_cursor = _encode_history_cursor(entries[-1].id) if more else None
    if actor.is_client:
        defs = await (custom or FieldsCache()).get(db)
        entries = [e for e in (_client_entry(e, defs) for e in entries) if e is not None]
    return entries, next_cursor


def _client_entry(e: HistoryEntry, defs: dict[int, fields.CustomField]) -> HistoryEntry | None:
    """The entry without changes of fields hidden from clients; None when nothing is left."""
    hidden = [
        k
        for k in e.changes
        if k.startswith("custom_fields.")
        and not ((f := defs.get(fields.field_id(k[14:]) or 0)) is not None and f.client_visible)
    ]
    if not hidden:
        return e
    if len(hidden) == len(e.changes):
        return None
    return replace(e, changes={k: v for k, v in e.changes.items() if k not in hidden})


def _encode_history_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"h{entry_id}".encode()).decode().rstrip("=")


def _decode_history_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("h") or not raw[1:].isascii() or not raw[1:].isdigit() or len(raw) > 19:
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError as exc:
        raise InvalidTicket(
            "Bad cursor.", errors=[FieldError("cursor", "not a cursor of this history")]
        ) from exc


# --- the state machine ------------------------------------------------------------------


def _expect(t: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != t.version:
        raise StaleTicket()


async def _work(
    db: Database, actor: Actor, ticket_id: int, action: Action, expected_version: int | None
) -> Ticket:
    """lock, unlock, complete, reopen: judge, change, record, publish."""
    async with db.unit_of_work() as uow:
        before = await store.ticket_for_update(uow.conn, ticket_id)
        if before is None:
            raise TicketNotFound()
        _check(judge(actor, before, action), action, before)
        _expect(before, expected_version)
        me = actor.user_id
        if action is Action.LOCK:
            after = replace(before, state=State.IN_WORK, locked_by=me)
        elif action is Action.UNLOCK:
            after = replace(before, state=State.NEW, locked_by=None)
        elif action is Action.COMPLETE:
            after = replace(before, state=State.DONE, locked_by=None, done_by=me)
        else:  # reopen: back in work by the one who had it
            after = replace(before, state=State.IN_WORK, locked_by=before.done_by, done_by=None)
        saved = await store.save_ticket(uow.conn, after)
        await store.add_history(
            uow.conn, ticket_id, me, events.HISTORY_ACTION[action], changes(before, saved, WORK_FIELDS)
        )
        await uow.record_event(*events.work_event(action, before, saved, actor))
        await uow.commit()
    return saved


async def take(*, db: Database, actor: Actor, ticket_id: int, expected_version: int | None = None) -> Ticket:
    return await _work(db, actor, ticket_id, Action.LOCK, expected_version)


async def release(
    *, db: Database, actor: Actor, ticket_id: int, expected_version: int | None = None
) -> Ticket:
    return await _work(db, actor, ticket_id, Action.UNLOCK, expected_version)


async def complete(
    *, db: Database, actor: Actor, ticket_id: int, expected_version: int | None = None
) -> Ticket:
    return await _work(db, actor, ticket_id, Action.COMPLETE, expected_version)


async def reopen(
    *, db: Database, actor: Actor, ticket_id: int, expected_version: int | None = None
) -> Ticket:
    return await _work(db, actor, ticket_id, Action.REOPEN, expected_version)


async def forward(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    ticket_id: int,
    unit_id: int,
    assignee_ids: list[int],
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    errors = []
    if unit_id not in await units.known(unit_id):
        errors.append(FieldError("unit_id", "no such unit"))
    if len(set(assignee_ids)) != len(assignee_ids):
        errors.append(FieldError("assignee_ids", "listed twice"))
    if len(note) > MAX_COMMENT:
        errors.append(FieldError("note", f"at most {MAX_COMMENT} characters"))
    async with db.unit_of_work() as uow:
        before = await store.ticket_for_update(uow.conn, ticket_id)
        if before is None:
            raise TicketNotFound()
        _check(judge(actor, before, Action.FORWARD), Action.FORWARD, before)
        if errors:
            raise InvalidTicket("The forward is not valid.", errors=errors)
        _expect(before, expected_version)
        after = replace(
            before, unit_id=unit_id, assignee_ids=list(assignee_ids), state=State.NEW, locked_by=None
        )
        saved = await store.save_ticket(uow.conn, after)
        diff: dict[str, Any] = changes(before, saved, WORK_FIELDS)
        if note:
            diff["note"] = [None, note]
        await store.add_history(uow.conn, ticket_id, actor.user_id, "forwarded", diff)
        await uow.record_event(*events.ticket_forwarded(before, saved, actor, note))
        await uow.commit()
    return saved


@dataclass(frozen=True)
class Edit:
    """Fields to change; None = leave as is."""

    subject: str | None = None
    subject_id: int | None = None
    body: str | None = None
    priority: Priority | None = None
    custom_fields: dict[str, object] | None = None  # {"<field id>": value | None (clear)}
    deadline: datetime | None = None
    clear_deadline: bool = False


def _with_deadline_and_values(
    t: Ticket, change: Edit, defs: dict[int, fields.CustomField], actor: Actor
) -> Ticket:
    if change.clear_deadline:
        t = replace(t, deadline=None)
    elif change.deadline is not None:
        t = replace(t, deadline=change.deadline)
    if change.custom_fields:
        values = fields.apply_values(
            defs, change.custom_fields, current=t.custom_fields, is_client=actor.is_client, creating=False
        )
        t = replace(t, custom_fields=values)
    return t


async def edit(
    *,
    db: Database,
    actor: Actor,
    ticket_id: int,
    change: Edit,
    expected_version: int | None = None,
    custom: FieldsCache | None = None,
) -> Ticket:
    defs = await (custom or FieldsCache()).get(db, wanted=change.custom_fields or ())
    async with db.unit_of_work() as uow:
        before = await store.ticket_for_update(uow.conn, ticket_id)
        if before is None:
            raise TicketNotFound()
        _check(judge(actor, before, Action.EDIT), Action.EDIT, before)
        _expect(before, expected_version)
        after = before
        if change.subject_id is not None:
            subject = await store.subject_by_id(uow.conn, change.subject_id)
            if subject is None:
                raise InvalidTicket(
                    "The edit is not valid.", errors=[FieldError("subject_id", "no such subject")]
                )
            after = replace(
                after, subject=subject.name, subject_id=subject.id, sla_plan_id=subject.sla_plan_id
            )
        elif change.subject is not None:
            after = replace(after, subject=change.subject, subject_id=None, sla_plan_id=None)
        if change.body is not None:
            after = replace(after, body=change.body)
        if change.priority is not None:
            after = replace(after, priority=change.priority)
        after = _with_deadline_and_values(after, change, defs, actor)
        NewTicket(
            subject=after.subject,
            body=after.body,
            priority=after.priority,
            unit_id=after.unit_id,
            assignee_ids=[],
            client_id=None,
            source=after.source,
        ).checked(actor=actor, known_units={after.unit_id})
        diff = changes(before, after, EDIT_FIELDS)
        diff.update(fields.value_changes(before.custom_fields, after.custom_fields))
        if not diff:
            return before
        saved = await store.save_ticket(uow.conn, after)
        await store.add_history(uow.conn, ticket_id, actor.user_id, "edited", diff)
        await uow.record_event(*events.ticket_edited(saved, actor, sorted(diff)))
        await uow.commit()
    return saved


async def delete(*, db: Database, actor: Actor, ticket_id: int, blobs: BlobStore | None = None) -> None:
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_for_update(uow.conn, ticket_id)
        if ticket is None:
            raise TicketNotFound()
        _check(judge(actor, ticket, Action.DELETE), Action.DELETE, ticket)
        keys = [a.storage_key for a in await store.attachments(uow.conn, ticket_id)]
        await store.delete_ticket(uow.conn, ticket_id)
        await uow.record_event(*events.ticket_deleted(ticket_id, actor))
        await uow.commit()
    for key in keys:
        if blobs is not None:
            await blobs.delete(key)


# --- comments ---------------------------------------------------------------------------


MAX_COMMENT_FILES = 20


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
        ticket = await store.ticket_for_update(uow.conn, ticket_id)
        if ticket is None:
            raise TicketNotFound()
        _check(judge(actor, ticket, Action.COMMENT), Action.COMMENT, ticket)
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
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
        if ticket is None or not can_see(actor, ticket):
            raise TicketNotFound()
        return await store.comments(uow.conn, ticket_id)


# --- lists ------------------------------------------------------------------------------


def encode_cursor(sort_value: object, ticket_id: int) -> str:
    value = sort_value.isoformat() if isinstance(sort_value, datetime) else sort_value
    return base64.urlsafe_b64encode(orjson.dumps([value, ticket_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[object, int]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, ticket_id = raw
        if not isinstance(ticket_id, int) or not 0 <= ticket_id < 2**63:
            raise ValueError
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidTicket(
            "Bad cursor.", errors=[FieldError("cursor", "not a cursor of this list")]
        ) from exc
    return value, ticket_id


async def list_tickets(
    *, db: Database, actor: Actor, query: ListQuery, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    errors = []
    if query.box not in BOXES:
        errors.append(FieldError("box", "inbox, outbox or archive"))
    if query.sort not in store.SORTS:
        errors.append(FieldError("sort", ", ".join(store.SORTS)))
    if not 1 <= query.limit <= 200:
        errors.append(FieldError("limit", "between 1 and 200"))
    if query.locked not in (None, "me", "others"):
        errors.append(FieldError("locked", "me or others"))
    for name, values, allowed in (
        ("state", query.states, {s.value for s in State}),
        ("priority", query.priorities, {p.value for p in Priority}),
        ("sla_state", query.sla_states, {"ok", "warning", "breached", "met", "off"}),
    ):
        if not set(values) <= allowed:
            errors.append(FieldError(name, " or ".join(sorted(allowed))))
    if errors:
        raise InvalidTicket("The list query is not valid.", errors=errors)
    if cursor:
        query = replace(query, after=decode_cursor(cursor))
    page = replace(query, limit=query.limit + 1)
    async with db.unit_of_work() as uow:
        tickets = await store.list_tickets(uow.conn, actor, page)
    if len(tickets) <= query.limit:
        return tickets, None
    tickets = tickets[: query.limit]
    last = tickets[-1]
    column = store.SORTS[query.sort][0]
    return tickets, encode_cursor(getattr(last, column), last.id)


# --- subjects and settings (admin writes) -----------------------------------------------


async def list_subjects(*, db: Database) -> list[Subject]:
    async with db.unit_of_work() as uow:
        return await store.subjects(uow.conn)


async def create_subject(*, db: Database, actor: Actor, name: str, sla_plan_id: int | None) -> Subject:
    if not actor.is_admin:
        raise NotAllowed("Only admins manage subjects.")
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidTicket("The subject is not valid.", errors=[FieldError("name", "1 to 255 characters")])
    async with db.unit_of_work() as uow:
        subject = await store.insert_subject(uow.conn, name, sla_plan_id)
        if subject is None:
            raise InvalidTicket("The subject is not valid.", errors=[FieldError("name", "already exists")])
        await uow.commit()
    return subject


async def get_settings(*, db: Database, actor: Actor) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("Only admins read the settings.")
    async with db.unit_of_work() as uow:
        stored = await store.settings_section(uow.conn, "tickets")
    return {**DEFAULT_SETTINGS, **(stored or {})}


def _check_settings(value: dict[str, Any]) -> dict[str, Any]:
    errors = []
    unknown = set(value) - set(DEFAULT_SETTINGS)
    for name in sorted(unknown):
        errors.append(FieldError(name, "unknown setting"))
    days = value.get("days_to_archive", 3)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        errors.append(FieldError("days_to_archive", "a whole number of days, 1 to 3650"))
    size = value.get("max_file_bytes", 1)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1024**3:
        errors.append(FieldError("max_file_bytes", "1 byte to 1 GiB"))
    types = value.get("allowed_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and "/" in t for t in types):
        errors.append(FieldError("allowed_types", "a list of MIME types"))
    if not isinstance(value.get("free_text_subjects", True), bool):
        errors.append(FieldError("free_text_subjects", "true or false"))
    if errors:
        raise InvalidTicket("The settings are not valid.", errors=errors)
    return {**DEFAULT_SETTINGS, **value}


async def put_settings(
    *, db: Database, actor: Actor, value: dict[str, Any], cache: SettingsCache | None = None
) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("Only admins change the settings.")
    checked = _check_settings(value)
    async with db.unit_of_work() as uow:
        await store.save_settings_section(uow.conn, "tickets", checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return checked


# --- jobs and consumed events -----------------------------------------------------------


async def archive_due(*, db: Database, settings: SettingsCache, batch: int = 500) -> int:
    """Archives tickets done for ``days_to_archive`` days; safe to run on every replica."""
    days = int((await settings.get(db))["days_to_archive"])
    total = 0
    while True:
        async with db.unit_of_work() as uow:
            archived = await store.archive_due(uow.conn, days=days, limit=batch)
            for t in archived:
                await store.add_history(uow.conn, t.id, 0, "archived", {"state": ["done", "archived"]})
                await uow.record_event(*events.ticket_archived(t))
            await uow.commit()
        total += len(archived)
        if len(archived) < batch:
            return total


async def record_sla_state(uow: UnitOfWork, ticket_id: int, state: str) -> None:
    """Keeps the SLA service's verdict on the ticket, so lists filter on it in SQL."""
    await store.set_sla_state(uow.conn, ticket_id, state)


async def run_archiver(
    *, db: Database, settings: SettingsCache, every: float, stopping: asyncio.Event
) -> None:
    """The schedule: archive what is due, file due recurring tickets, then sleep;
    every replica may run it (both jobs skip rows another replica holds)."""
    while not stopping.is_set():
        try:
            count = await archive_due(db=db, settings=settings)
            if count:
                log.info("tickets.archived", count=count)
            filed = await run_recurring(db=db, now=datetime.now(UTC))
            if filed:
                log.info("tickets.recurring_filed", count=len(filed))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("tickets.archive_failed", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every)


# --- attachments ------------------------------------------------------------------------


async def upload_attachment(
    *,
    db: Database,
    blobs: BlobStore,
    spool: Path,
    settings: SettingsCache,
    actor: Actor,
    ticket_id: int,
    filename: str,
    chunks: AsyncIterator[bytes],
) -> Attachment:
    """Streams the file to a temporary file (never all in memory), judges its sniffed type
    and size, then stores it and records it on the ticket in one transaction."""
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
    if ticket is None:
        raise TicketNotFound()
    _check(judge(actor, ticket, Action.COMMENT), Action.COMMENT, ticket)
    limits = await settings.get(db)
    max_bytes = int(limits["max_file_bytes"])
    fd, name = tempfile.mkstemp(dir=spool, prefix="upload-")
    tmp = Path(name)
    content_type: str | None = None
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidTicket(
                        "The file is refused.", errors=[FieldError("file", f"larger than {max_bytes} bytes")]
                    )
                if content_type is None:
                    head += chunk
                    if len(head) >= files.SNIFF_BYTES:
                        content_type = files.judge_file(filename, head, limits["allowed_types"])
                out.write(chunk)
        if content_type is None:
            if size == 0:
                raise InvalidTicket("The file is refused.", errors=[FieldError("file", "empty")])
            content_type = files.judge_file(filename, head, limits["allowed_types"])
        key = secrets.token_hex(20)
        await blobs.put(key, tmp)
    finally:
        await asyncio.to_thread(tmp.unlink, missing_ok=True)
    clean_name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    try:
        async with db.unit_of_work() as uow:
            locked = await store.ticket_for_update(uow.conn, ticket_id)
            if locked is None:
                raise TicketNotFound()
            _check(judge(actor, locked, Action.COMMENT), Action.COMMENT, locked)
            attachment = await store.insert_attachment(
                uow.conn,
                ticket_id=ticket_id,
                storage_key=key,
                filename=clean_name,
                content_type=content_type,
                size=size,
                author_id=actor.user_id,
            )
            saved = await store.save_ticket(uow.conn, locked)
            await store.add_history(
                uow.conn, ticket_id, actor.user_id, "edited", {"attachments": [None, clean_name]}
            )
            await uow.record_event(*events.ticket_edited(saved, actor, ["attachments"]))
            await uow.commit()
    except BaseException:
        await blobs.delete(key)
        raise
    return attachment


async def open_attachment(
    *, db: Database, blobs: BlobStore, actor: Actor, attachment_id: int
) -> tuple[Attachment, AsyncIterator[bytes]]:
    """The attachment and its bytes, for those who may see its ticket (others: 404)."""
    async with db.unit_of_work() as uow:
        attachment = await store.attachment_by_id(uow.conn, attachment_id)
        ticket = await store.ticket_by_id(uow.conn, attachment.ticket_id) if attachment else None
    if attachment is None or ticket is None or not can_see(actor, ticket):
        raise TicketNotFound("No such attachment.")
    return attachment, blobs.read(attachment.storage_key)


async def list_attachments(*, db: Database, actor: Actor, ticket_id: int) -> list[Attachment]:
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
        if ticket is None or not can_see(actor, ticket):
            raise TicketNotFound()
        return await store.attachments(uow.conn, ticket_id)


# --- recurring tickets ------------------------------------------------------------------


def _schedule_json(s: Schedule) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "at": s.at.isoformat(),
        "start": s.start.isoformat(),
        "end": s.end.isoformat() if s.end else None,
        "every_days": s.every_days,
        "weekdays": sorted(s.weekdays),
        "month_days": sorted(s.month_days),
        "time_zone": s.time_zone,
    }


def _schedule_from(d: dict[str, Any]) -> Schedule:
    return Schedule(
        kind=d["kind"],
        at=dt_time.fromisoformat(d["at"]),
        start=date.fromisoformat(d["start"]),
        end=date.fromisoformat(d["end"]) if d["end"] else None,
        every_days=d["every_days"],
        weekdays=frozenset(d["weekdays"]),
        month_days=frozenset(d["month_days"]),
        time_zone=d["time_zone"],
    )


def _actor_json(a: Actor) -> dict[str, Any]:
    return {
        "user_id": a.user_id,
        "is_client": a.is_client,
        "role": a.role.value if a.role else None,
        "unit_ids": sorted(a.unit_ids),
        "is_admin": a.is_admin,
        "client_group_id": a.client_group_id,
        "is_client_group_lead": a.is_client_group_lead,
    }


def _actor_from(d: dict[str, Any]) -> Actor:
    return Actor(
        user_id=d["user_id"],
        is_client=d["is_client"],
        role=Role(d["role"]) if d["role"] else None,
        unit_ids=frozenset(d["unit_ids"]),
        is_admin=d["is_admin"],
        client_group_id=d["client_group_id"],
        is_client_group_lead=d["is_client_group_lead"],
    )


async def create_recurring(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    template: NewTicket,
    schedule: Schedule,
    now: datetime,
) -> tuple[int, datetime | None]:
    """Staff set up a ticket that files itself on a schedule; returns its id and first run."""
    if not is_staff(actor):
        raise NotAllowed("Only staff set up recurring tickets.")
    template = template.checked(actor=actor, known_units=await units.known(template.unit_id))
    schedule = schedule.checked()
    first = schedule.next_after(now)
    async with db.unit_of_work() as uow:
        recurring_id = await store.insert_recurring(
            uow.conn,
            author=_actor_json(actor),
            template={
                "subject": template.subject,
                "body": template.body,
                "priority": template.priority.value,
                "unit_id": template.unit_id,
                "assignee_ids": template.assignee_ids,
                "client_id": template.client_id,
            },
            schedule=_schedule_json(schedule),
            next_run_at=first,
        )
        await uow.commit()
    return recurring_id, first


async def run_recurring(*, db: Database, now: datetime, batch: int = 100) -> list[Ticket]:
    """Files every due recurring ticket once; safe on several replicas (SKIP LOCKED).
    Missed runs (the service was down) are not replayed: the next run is after ``now``."""
    made: list[Ticket] = []
    while True:
        async with db.unit_of_work() as uow:
            due = await store.due_recurring(uow.conn, now=now, limit=batch)
            for row in due:
                actor = _actor_from(row["author"])
                tpl = row["template"]
                new = NewTicket(
                    subject=tpl["subject"],
                    body=tpl["body"],
                    priority=Priority(tpl["priority"]),
                    unit_id=tpl["unit_id"],
                    assignee_ids=tpl["assignee_ids"],
                    client_id=tpl["client_id"],
                    source="recurring",
                )
                ticket = await store.insert_ticket(
                    uow.conn,
                    new,
                    ref=secrets.token_urlsafe(16),
                    author_id=actor.user_id,
                    author_unit_ids=sorted(actor.unit_ids),
                    client_group_id=None,
                )
                await uow.record_event(*events.ticket_created(ticket, actor))
                await store.set_next_run(uow.conn, row["id"], _schedule_from(row["schedule"]).next_after(now))
                made.append(ticket)
            await uow.commit()
        if len(due) < batch:
            return made


def _recurring_owner(actor: Actor, row: dict[str, Any]) -> bool:
    return actor.is_admin or row["author"]["user_id"] == actor.user_id


async def list_recurring(*, db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Admins see every recurring ticket, staff the ones they set up, clients none (403)."""
    if not is_staff(actor) and not (actor.is_admin and not actor.is_client):
        raise NotAllowed("Only staff have recurring tickets.")
    async with db.unit_of_work() as uow:
        return await store.recurring_list(uow.conn, None if actor.is_admin else actor.user_id)


async def _recurring_to_change(uow: UnitOfWork, actor: Actor, recurring_id: int) -> dict[str, Any]:
    if actor.is_client:
        raise NotAllowed("Only staff have recurring tickets.")
    row = await store.recurring_for_update(uow.conn, recurring_id)
    if row is None or not _recurring_owner(actor, row):
        raise RecurringNotFound()
    return row


async def set_recurring_active(
    *, db: Database, actor: Actor, recurring_id: int, active: bool, now: datetime
) -> dict[str, Any]:
    """Pause (no runs) or resume (next run after ``now``; paused runs are not replayed)."""
    async with db.unit_of_work() as uow:
        row = await _recurring_to_change(uow, actor, recurring_id)
        if row["active"] == active:
            return row
        next_run = _schedule_from(row["schedule"]).next_after(now) if active else row["next_run_at"]
        saved = await store.set_recurring_active(uow.conn, recurring_id, active, next_run)
        await uow.commit()
    return saved


async def delete_recurring(*, db: Database, actor: Actor, recurring_id: int) -> None:
    async with db.unit_of_work() as uow:
        await _recurring_to_change(uow, actor, recurring_id)
        await store.delete_recurring(uow.conn, recurring_id)
        await uow.commit()


# --- subjects: change and delete (admin) ------------------------------------------------


_UNSET: Any = object()


async def update_subject(
    *, db: Database, actor: Actor, subject_id: int, name: str | None, sla_plan_id: Any = _UNSET
) -> Subject:
    """Renames and/or sets the SLA plan (None = none) of a subject; tickets filed with it
    keep the text and plan they got then."""
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage subjects.")
    async with db.unit_of_work() as uow:
        current = await store.subject_by_id(uow.conn, subject_id)
        if current is None:
            raise SubjectNotFound()
        new_name = current.name if name is None else name.strip()
        if not new_name or len(new_name) > 255:
            raise InvalidTicket(
                "The subject is not valid.", errors=[FieldError("name", "1 to 255 characters")]
            )
        plan = current.sla_plan_id if sla_plan_id is _UNSET else sla_plan_id
        try:
            saved = await store.update_subject(uow.conn, subject_id, new_name, plan)
        except asyncpg.UniqueViolationError as exc:
            raise InvalidTicket(
                "The subject is not valid.", errors=[FieldError("name", "already exists")]
            ) from exc
        if saved is None:
            raise SubjectNotFound()
        await uow.commit()
    return saved


async def delete_subject(*, db: Database, actor: Actor, subject_id: int) -> None:
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage subjects.")
    async with db.unit_of_work() as uow:
        if not await store.delete_subject(uow.conn, subject_id):
            raise SubjectNotFound()
        await uow.commit()


# --- custom fields (admin defines; everyone reads what they may see) --------------------


def _admin(actor: Actor) -> None:
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage custom fields.")


async def list_custom_fields(*, db: Database, actor: Actor) -> list[fields.CustomField]:
    async with db.unit_of_work() as uow:
        found = await store.custom_fields(uow.conn)
    return [f for f in found if f.client_visible or not actor.is_client]


async def create_custom_field(
    *, db: Database, actor: Actor, field: fields.CustomField, cache: FieldsCache | None = None
) -> fields.CustomField:
    _admin(actor)
    checked = field.checked()
    async with db.unit_of_work() as uow:
        saved = await store.insert_custom_field(uow.conn, checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return saved


async def update_custom_field(
    *,
    db: Database,
    actor: Actor,
    field_id: int,
    changes_: dict[str, Any],
    cache: FieldsCache | None = None,
) -> fields.CustomField:
    """``changes_`` holds any of name, kind, options, required, client_visible, position."""
    _admin(actor)
    async with db.unit_of_work() as uow:
        current = await store.custom_field_for_update(uow.conn, field_id)
        if current is None:
            raise FieldNotFound()
        if "options" in changes_:
            changes_ = {**changes_, "options": tuple(changes_["options"])}
        checked = replace(current, **changes_).checked()
        saved = await store.save_custom_field(uow.conn, checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return saved


async def delete_custom_field(
    *, db: Database, actor: Actor, field_id: int, cache: FieldsCache | None = None
) -> None:
    _admin(actor)
    async with db.unit_of_work() as uow:
        if not await store.delete_custom_field(uow.conn, field_id):
            raise FieldNotFound()
        await uow.commit()
    if cache is not None:
        cache.forget()


# --- dashboard counters, Markdown preview -----------------------------------------------


async def counters(*, db: Database, actor: Actor) -> dict[str, int]:
    """new, in_work, mine (in work, locked by me), sla_warning, sla_breached over the inbox."""
    async with db.unit_of_work() as uow:
        return await store.counters(uow.conn, actor)


def render_markdown(text: str) -> str:
    """The comments' renderer and sanitiser, for the comment box's preview."""
    if len(text) > MAX_COMMENT:
        raise InvalidTicket(
            "The text is too long.", errors=[FieldError("text", f"at most {MAX_COMMENT} characters")]
        )
    return markup.render(text)
