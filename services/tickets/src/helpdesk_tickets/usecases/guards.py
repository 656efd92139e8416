"""Turning the domain's verdicts into the errors callers get (404, 409, 403, 412)."""

from __future__ import annotations

from helpdesk_tickets.domain import Action, Ticket, Verdict
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
