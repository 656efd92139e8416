"""Errors of the tickets service.

AppError (kit)
├── NotFound ───── TicketNotFound      missing, or not visible to the caller
│                  FieldNotFound, SubjectNotFound, RecurringNotFound, ShortcutNotFound
├── InvalidInput ─ InvalidTicket       fields that break the ticket's rules
├── Forbidden ──── NotAllowed          visible, but not the caller's to do
├── Conflict ───── WrongState          the ticket's state does not allow the action
└── PreconditionFailed ─ StaleTicket   If-Match names an older version
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed


@dataclass
class TicketNotFound(NotFound):
    detail: str = "No such ticket."


@dataclass
class InvalidTicket(InvalidInput):
    pass


@dataclass
class NotAllowed(Forbidden):
    pass


@dataclass
class WrongState(Conflict):
    """The action does not fit the ticket's state (409)."""


@dataclass
class StaleTicket(PreconditionFailed):
    detail: str = "The ticket changed since you read it (stale ETag)."


@dataclass
class FieldNotFound(NotFound):
    detail: str = "No such custom field."


@dataclass
class SubjectNotFound(NotFound):
    detail: str = "No such subject."


@dataclass
class RecurringNotFound(NotFound):
    detail: str = "No such recurring ticket."


@dataclass
class ShortcutNotFound(NotFound):
    detail: str = "No such canned response."
