"""Tickets' use cases: one function each, one transaction each."""

from __future__ import annotations

import secrets

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_tickets import events, store
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Ticket, can_see
from helpdesk_tickets.errors import TicketNotFound

log = get_logger(__name__)


async def create_ticket(
    *, db: Database, units: UnitDirectory, actor: Actor, new: NewTicket, idempotency_key: str | None
) -> Ticket:
    new = new.checked(actor=actor, known_units=await units.known(new.unit_id))
    async with db.unit_of_work() as uow:
        if idempotency_key:
            earlier = await store.claim_idempotency_key(uow.conn, actor.user_id, idempotency_key)
            if earlier is not None:
                ticket = await store.ticket_by_id(uow.conn, earlier)
                if ticket is not None:
                    return ticket
        ticket = await store.insert_ticket(
            uow.conn, new, ref=secrets.token_urlsafe(16), author_id=actor.user_id
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
