"""Filing a ticket and reading one back, with its history."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_kit.logs import get_logger
from helpdesk_tickets import events, fields, store
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, HistoryEntry, NewTicket, Subject, Ticket
from helpdesk_tickets.errors import InvalidTicket, TicketNotFound
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, FieldsCache, SettingsCache
from helpdesk_tickets.usecases.cursors import decode_history_cursor, encode_history_cursor
from helpdesk_tickets.usecases.guards import visible_ticket

log = get_logger(__name__)


def plan_for(subject_plan_id: int | None, unit_id: int, settings: dict[str, Any]) -> int | None:
    """The SLA plan of a ticket: its subject's, else its unit's default (settings)."""
    if subject_plan_id:
        return subject_plan_id
    plan: int | None = settings["unit_sla_plans"].get(str(unit_id))
    return plan


def _with_subject(new: NewTicket, subject: Subject | None, current: dict[str, Any]) -> NewTicket:
    """The subject from the list (by id, or a typed name matching one whatever its case) with
    its plan; else free text, if allowed, with the unit's default plan."""
    if new.subject_id and subject is None:
        raise InvalidTicket("The ticket is not valid.", errors=[FieldError("subject_id", "no such subject")])
    if subject is not None:
        new = replace(new, subject=subject.name, subject_id=subject.id, sla_plan_id=subject.sla_plan_id)
    elif not current["free_text_subjects"]:
        raise InvalidTicket(
            "The ticket is not valid.", errors=[FieldError("subject_id", "choose a subject from the list")]
        )
    return replace(new, sla_plan_id=plan_for(new.sla_plan_id, new.unit_id, current))


async def create_ticket(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    new: NewTicket,
    idempotency_key: str | None,
    settings: SettingsCache | None = None,
    custom: FieldsCache | None = None,
    routed: bool = False,
) -> Ticket:
    """``routed``: see ``NewTicket.checked`` (mail intake files a mailbox's routing)."""
    defs = await (custom or FieldsCache()).get(db, wanted=new.custom_fields)
    new = replace(
        new,
        custom_fields=fields.apply_values(
            defs, new.custom_fields, current={}, is_client=actor.is_client, creating=True
        ),
    )
    current = await settings.get(db) if settings is not None else DEFAULT_SETTINGS
    # One round trip: the ticket's id and time, and its subject (ADR 0014).
    reserved = await store.reserve_ticket(db.pool, subject_id=new.subject_id, subject_name=new.subject)
    new = _with_subject(new, reserved.subject, current)
    new = new.checked(actor=actor, known_units=await units.known(new.unit_id), routed=routed)
    if actor.is_client:
        client_group_id = actor.client_group_id
    elif new.client_id:
        client_group_id = await units.client_group_of(new.client_id)
    else:
        client_group_id = None
    row = store.NewRow(
        ref=secrets.token_urlsafe(16),
        author_id=actor.user_id,
        author_unit_ids=[] if actor.is_client else sorted(actor.unit_ids),
        client_group_id=client_group_id,
        reserved=reserved,
    )
    if not idempotency_key:
        # The second and last round trip: ticket, history, report count and event together.
        event = events.ticket_created(store.new_ticket(new, row), actor)
        ticket = await store.insert_ticket_with_event(db, new, row, event)
        log.debug("ticket.created", ticket_id=ticket.id, actor_id=actor.user_id)
        return ticket
    async with db.unit_of_work() as uow:
        earlier = await store.claim_idempotency_key(uow.conn, actor.user_id, idempotency_key)
        if earlier is not None:
            first = await store.ticket_by_id(uow.conn, earlier)
            if first is not None:
                return first
        ticket = await store.insert_ticket(uow.conn, new, row)
        await store.save_idempotency_key(uow.conn, actor.user_id, idempotency_key, ticket.id)
        await uow.record_event(*events.ticket_created(ticket, actor))
        await uow.commit()
    log.debug("ticket.created", ticket_id=ticket.id, actor_id=actor.user_id)
    return ticket


async def get_ticket(*, db: Database, actor: Actor, ticket_id: int) -> Ticket:
    async with db.unit_of_work() as uow:
        return await visible_ticket(uow.conn, actor, ticket_id)


async def get_ticket_by_ref(*, db: Database, actor: Actor, ref: str) -> Ticket:
    """The ticket with this public reference (ZENLIX's hash for imported ones), if the actor
    sees it; else 404, as if it did not exist."""
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_ref(uow.conn, ref)
        if ticket is None:
            raise TicketNotFound()
        return await visible_ticket(uow.conn, actor, ticket.id)


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
    Clients do not see changes of custom fields that are not shown to them, nor internal notes."""
    if not 1 <= limit <= 1000:
        raise InvalidTicket("Bad page.", errors=[FieldError("limit", "between 1 and 1000")])
    after_id = decode_history_cursor(cursor) if cursor else 0
    async with db.unit_of_work() as uow:
        await visible_ticket(uow.conn, actor, ticket_id)
        entries = await store.history(uow.conn, ticket_id, after_id=after_id, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    next_cursor = encode_history_cursor(entries[-1].id) if more else None
    if actor.is_client:
        defs = await (custom or FieldsCache()).get(db)
        entries = [e for e in (_client_entry(e, defs) for e in entries) if e is not None]
    return entries, next_cursor


def _client_entry(e: HistoryEntry, defs: dict[int, fields.CustomField]) -> HistoryEntry | None:
    """The entry without changes of fields hidden from clients; None when nothing is left,
    or when it records an internal note."""
    if e.changes.get("internal"):
        return None
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
