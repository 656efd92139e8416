"""Errors of the tickets service.

AppError (kit)
├── NotFound ───── TicketNotFound      missing, or not visible to the caller
├── InvalidInput ─ InvalidTicket       fields that break the ticket's rules
└── Forbidden ──── NotAllowed          visible, but not the caller's to do
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import Forbidden, InvalidInput, NotFound


@dataclass
class TicketNotFound(NotFound):
    detail: str = "No such ticket."


@dataclass
class InvalidTicket(InvalidInput):
    pass


@dataclass
class NotAllowed(Forbidden):
    pass
