"""Tickets: the entity, who may see it, and the rules a new ticket must keep.

No framework imports: this module is the product's rules, testable alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket

MAX_SUBJECT = 255
MAX_BODY = 100_000


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class State(enum.StrEnum):
    NEW = "new"
    IN_WORK = "in_work"
    DONE = "done"
    ARCHIVED = "archived"


class Role(enum.StrEnum):
    DEPARTMENT_HEAD = "department_head"
    UNIT_HEAD = "unit_head"
    UNIT_MEMBER = "unit_member"


@dataclass(frozen=True)
class Actor:
    """The caller, as established from a verified token."""

    user_id: int
    is_client: bool
    role: Role | None
    unit_ids: frozenset[int] = frozenset()
    is_admin: bool = False
    client_group_id: int | None = None
    is_client_group_lead: bool = False


@dataclass
class Ticket:
    id: int
    number: int
    ref: str
    subject: str
    body: str
    priority: Priority
    state: State
    unit_id: int
    author_id: int
    client_id: int | None
    created_at: datetime
    updated_at: datetime
    assignee_ids: list[int] = field(default_factory=list)
    subject_id: int | None = None
    locked_by: int | None = None
    done_by: int | None = None
    deadline: datetime | None = None
    source: str = "web"
    version: int = 1


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str
    priority: Priority
    unit_id: int
    assignee_ids: list[int]
    client_id: int | None
    source: str

    def checked(self, *, actor: Actor, known_units: set[int]) -> NewTicket:
        """The ticket as it will be stored, or InvalidTicket naming every bad field."""
        errors: list[FieldError] = []
        subject = self.subject.strip()
        if not subject:
            errors.append(FieldError("subject", "must not be empty"))
        elif len(subject) > MAX_SUBJECT:
            errors.append(FieldError("subject", f"at most {MAX_SUBJECT} characters"))
        if len(self.body) > MAX_BODY:
            errors.append(FieldError("body", f"at most {MAX_BODY} characters"))
        if self.unit_id not in known_units:
            errors.append(FieldError("unit_id", "no such unit"))
        if actor.is_client and self.assignee_ids:
            errors.append(FieldError("assignee_ids", "clients choose only the unit"))
        if len(set(self.assignee_ids)) != len(self.assignee_ids):
            errors.append(FieldError("assignee_ids", "listed twice"))
        if errors:
            raise InvalidTicket("The ticket is not valid.", errors=errors)
        client_id = actor.user_id if actor.is_client else self.client_id
        return NewTicket(
            subject=subject,
            body=self.body,
            priority=self.priority,
            unit_id=self.unit_id,
            assignee_ids=self.assignee_ids,
            client_id=client_id,
            source=self.source,
        )


def can_see(actor: Actor, t: Ticket) -> bool:
    """SPEC §1: who sees a ticket."""
    if actor.is_client:
        return actor.user_id in (t.author_id, t.client_id)
    if actor.role is Role.DEPARTMENT_HEAD:
        return True
    if t.author_id == actor.user_id or actor.user_id in t.assignee_ids:
        return True
    if t.unit_id in actor.unit_ids:
        # Unit heads see all of their units' tickets; members those sent to the unit as a whole.
        return actor.role is Role.UNIT_HEAD or not t.assignee_ids
    return False
