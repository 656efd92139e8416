"""The state machine's use cases (take, release, complete, reopen, forward), edit and delete.

Each takes the ticket's row lock, lets the domain judge the caller and make the step
(``domain.STATE_TABLE``), then saves the ticket, its history entry and its event in
one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import events, fields, store
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import (
    CLIENT_FORBIDDEN_EDITS,
    EDIT_FIELDS,
    MAX_COMMENT,
    STATE_TABLE,
    WORK_FIELDS,
    Action,
    Actor,
    NewTicket,
    Priority,
    Ticket,
    changes,
    forwarded,
    moved,
)
from helpdesk_tickets.errors import InvalidTicket, NotAllowed
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, FieldsCache, SettingsCache
from helpdesk_tickets.usecases.guards import check_version, ticket_to_change
from helpdesk_tickets.usecases.tickets import plan_for


async def _work(
    db: Database, actor: Actor, ticket_id: int, action: Action, expected_version: int | None
) -> Ticket:
    """lock, unlock, complete, reopen: judge, change, record, publish."""
    async with db.unit_of_work() as uow:
        before = await ticket_to_change(uow.conn, actor, ticket_id, action)
        check_version(before, expected_version)
        saved = await store.save_ticket(uow.conn, moved(before, action, actor.user_id))
        if action is Action.COMPLETE:
            await store.count_day(uow.conn, saved.updated_at, saved.unit_id, "done", user_id=actor.user_id)
        elif action is Action.REOPEN:
            await store.count_day(uow.conn, saved.updated_at, saved.unit_id, "reopened")
        await store.add_history(
            uow.conn,
            ticket_id,
            actor.user_id,
            STATE_TABLE[action].history,
            changes(before, saved, WORK_FIELDS),
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
    settings: SettingsCache | None = None,
) -> Ticket:
    """Sends the ticket to another unit (and people). A ticket whose plan is not its
    subject's takes the new unit's default plan."""
    current = await settings.get(db) if settings is not None else DEFAULT_SETTINGS
    errors = []
    if unit_id not in await units.known(unit_id):
        errors.append(FieldError("unit_id", "no such unit"))
    if len(set(assignee_ids)) != len(assignee_ids):
        errors.append(FieldError("assignee_ids", "listed twice"))
    if len(note) > MAX_COMMENT:
        errors.append(FieldError("note", f"at most {MAX_COMMENT} characters"))
    async with db.unit_of_work() as uow:
        before = await ticket_to_change(uow.conn, actor, ticket_id, Action.FORWARD)
        if errors:
            raise InvalidTicket("The forward is not valid.", errors=errors)
        check_version(before, expected_version)
        after = forwarded(before, unit_id, assignee_ids)
        subject = await store.subject_by_id(uow.conn, before.subject_id) if before.subject_id else None
        after = replace(
            after, sla_plan_id=plan_for(subject.sla_plan_id if subject else None, unit_id, current)
        )
        saved = await store.save_ticket(uow.conn, after)
        diff: dict[str, Any] = changes(before, saved, WORK_FIELDS)
        if note:
            diff["note"] = [None, note]
        await store.add_history(uow.conn, ticket_id, actor.user_id, STATE_TABLE[Action.FORWARD].history, diff)
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
    settings: SettingsCache | None = None,
) -> Ticket:
    """Changes what the change names. Clients may not change the priority or the deadline
    (403), nor edit a done ticket (409: ``domain.judge``)."""
    current = await settings.get(db) if settings is not None else DEFAULT_SETTINGS
    defs = await (custom or FieldsCache()).get(db, wanted=change.custom_fields or ())
    async with db.unit_of_work() as uow:
        before = await ticket_to_change(uow.conn, actor, ticket_id, Action.EDIT)
        if actor.is_client:  # after the visibility check: a ticket he does not see is 404
            _refuse_client_fields(change)
        check_version(before, expected_version)
        after = before
        if change.subject_id is not None:
            subject = await store.subject_by_id(uow.conn, change.subject_id)
            if subject is None:
                raise InvalidTicket(
                    "The edit is not valid.", errors=[FieldError("subject_id", "no such subject")]
                )
            after = replace(
                after,
                subject=subject.name,
                subject_id=subject.id,
                sla_plan_id=plan_for(subject.sla_plan_id, after.unit_id, current),
            )
        elif change.subject is not None and change.subject != before.subject:
            after = replace(
                after,
                subject=change.subject,
                subject_id=None,
                sla_plan_id=plan_for(None, after.unit_id, current),
            )
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


def _refuse_client_fields(change: Edit) -> None:
    named = {
        "priority": change.priority is not None,
        "deadline": change.deadline is not None or change.clear_deadline,
    }
    refused = [f for f in CLIENT_FORBIDDEN_EDITS if named[f]]
    if refused:
        raise NotAllowed(
            "Clients do not change the priority or the deadline.",
            errors=[FieldError(f, "staff decide it", code="staff_only") for f in refused],
            key="ticket.client_edit",
        )


async def delete(*, db: Database, actor: Actor, ticket_id: int, blobs: BlobStore | None = None) -> None:
    async with db.unit_of_work() as uow:
        ticket = await ticket_to_change(uow.conn, actor, ticket_id, Action.DELETE)
        keys = [a.storage_key for a in await store.attachments(uow.conn, ticket_id)]
        await store.delete_ticket(uow.conn, ticket_id)
        await uow.record_event(*events.ticket_deleted(ticket, actor))
        await uow.commit()
    for key in keys:
        if blobs is not None:
            await blobs.delete(key)
