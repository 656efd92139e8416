"""Turning the domain's verdicts into the errors callers get (404, 409, 403, 412), and the
two ways a use case starts: the ticket to read (404 unless visible) or the ticket to change
(row-locked, 404/409/403 unless the action is allowed)."""

from __future__ import annotations

import asyncpg

from helpdesk_tickets import store
from helpdesk_tickets.domain import Action, Actor, Ticket, Verdict, can_see, judge
from helpdesk_tickets.errors import NotAllowed, StaleTicket, TicketNotFound, WrongState


def check_verdict(verdict: Verdict, action: Action, t: Ticket) -> None:
    if verdict is Verdict.ALLOWED:
        return
    if verdict is Verdict.INVISIBLE:
        raise TicketNotFound()
    if verdict is Verdict.WRONG_STATE:
        raise WrongState(f"Cannot {action.value} a ticket that is {t.state.value}.")
    raise NotAllowed(f"You may not {action.value} this ticket.")


def check_version(t: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != t.version:
        raise StaleTicket()


async def visible_ticket(conn: asyncpg.Connection, actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, if the actor sees it (else 404, as if it did not exist)."""
    ticket = await store.ticket_by_id(conn, ticket_id)
    if ticket is None or not can_see(actor, ticket):
        raise TicketNotFound()
    return ticket


async def ticket_to_change(conn: asyncpg.Connection, actor: Actor, ticket_id: int, action: Action) -> Ticket:
    """The ticket, row-locked until the transaction ends, if the actor may do ``action`` to it now."""
    ticket = await store.ticket_for_update(conn, ticket_id)
    if ticket is None:
        raise TicketNotFound()
    check_verdict(judge(actor, ticket, action), action, ticket)
    return ticket
