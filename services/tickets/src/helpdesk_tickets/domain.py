"""Tickets: the entity, who may see it, the state table, and the rules a new ticket must keep.

No framework imports: this module is the product's rules, testable alone. Kept whole:
the visibility rule, the state table and the checks of a new ticket are read together
(docs/product/tickets.md and roles.md follow it section by section).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket, NotAllowed
from helpdesk_tickets.schedule import Schedule as Schedule  # re-exported: callers know it as a domain name

MAX_SUBJECT = 255
MAX_BODY = 100_000
MAX_COMMENT = 50_000  # also a forward's note
MAX_COMMENT_FILES = 20


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
    sla_plan_id: int | None = None
    sla_state: str | None = None
    author_unit_ids: list[int] = field(default_factory=list)
    client_group_id: int | None = None
    custom_fields: dict[str, object] = field(default_factory=dict)
    done_at: datetime | None = None  # set by the store when it is marked done


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str
    priority: Priority
    unit_id: int
    assignee_ids: list[int]
    client_id: int | None
    source: str
    subject_id: int | None = None
    sla_plan_id: int | None = None
    deadline: datetime | None = None
    custom_fields: dict[str, object] = field(default_factory=dict)

    def checked(self, *, actor: Actor, known_units: set[int], routed: bool = False) -> NewTicket:
        """The ticket as it will be stored, or InvalidTicket naming every bad field.

        ``routed``: the assignees come from an administrator's routing (a mailbox's
        settings), not from the author, so a client's ticket may have them."""
        errors: list[FieldError] = []
        subject = self.subject.strip()
        if not subject:
            errors.append(FieldError("subject", "must not be empty", code="blank"))
        elif len(subject) > MAX_SUBJECT:
            errors.append(
                FieldError(
                    "subject",
                    f"at most {MAX_SUBJECT} characters",
                    code="too_long",
                    params={"max": MAX_SUBJECT},
                )
            )
        if len(self.body) > MAX_BODY:
            errors.append(
                FieldError(
                    "body", f"at most {MAX_BODY} characters", code="too_long", params={"max": MAX_BODY}
                )
            )
        if self.unit_id not in known_units:
            errors.append(FieldError("unit_id", "no such unit", code="unknown_unit"))
        if actor.is_client and self.assignee_ids and not routed:
            errors.append(FieldError("assignee_ids", "clients choose only the unit"))
        if len(set(self.assignee_ids)) != len(self.assignee_ids):
            errors.append(FieldError("assignee_ids", "listed twice"))
        if errors:
            raise InvalidTicket("The ticket is not valid.", errors=errors)
        client_id = actor.user_id if actor.is_client else self.client_id
        return replace(self, subject=subject, client_id=client_id)


@dataclass(frozen=True)
class Audience:
    """Who may see a ticket, listed so that anyone can check a user against it without the
    ticket: the one visibility rule (docs/product/roles.md § Visibility). ``can_see`` is
    this rule; the events carry it (``TicketAudience``) so realtime delivers by it too.
    Department heads see every ticket and are not listed."""

    staff_user_ids: frozenset[int]  # staff who see it by name: its author and its assignees
    client_user_ids: frozenset[int]  # clients who see it by name: its author and its client
    head_unit_ids: frozenset[int]  # unit heads of these: its unit and its author's units
    member_unit_ids: frozenset[int]  # unit members of these: its unit, when it has no assignees
    client_group_id: int | None  # the lead of this client group


def audience(t: Ticket) -> Audience:
    """Who may see ``t`` as it is now."""
    return Audience(
        staff_user_ids=frozenset({t.author_id, *t.assignee_ids}),
        client_user_ids=frozenset({t.author_id} if t.client_id is None else {t.author_id, t.client_id}),
        head_unit_ids=frozenset({t.unit_id, *t.author_unit_ids}),
        member_unit_ids=frozenset() if t.assignee_ids else frozenset({t.unit_id}),
        client_group_id=t.client_group_id,
    )


def admits(a: Audience, actor: Actor) -> bool:
    """Whether the audience names the actor (the list queries in ``store`` say the same in SQL)."""
    if actor.is_client:
        if actor.user_id in a.client_user_ids:
            return True
        return (
            actor.is_client_group_lead
            and actor.client_group_id is not None
            and actor.client_group_id == a.client_group_id
        )
    if actor.role is Role.DEPARTMENT_HEAD or actor.user_id in a.staff_user_ids:
        return True
    if actor.role is Role.UNIT_HEAD:
        return bool(actor.unit_ids & a.head_unit_ids)
    return bool(actor.unit_ids & a.member_unit_ids)


def can_see(actor: Actor, t: Ticket) -> bool:
    """Who sees a ticket: docs/product/roles.md § Visibility."""
    return admits(audience(t), actor)


class Action(enum.StrEnum):
    """What a caller may do to a ticket (``allowed_actions``: docs/api-conventions.md)."""

    LOCK = "lock"
    UNLOCK = "unlock"
    COMPLETE = "complete"
    REOPEN = "reopen"
    FORWARD = "forward"
    COMMENT = "comment"
    EDIT = "edit"
    DELETE = "delete"


@dataclass(frozen=True)
class Step:
    """One row of the state table: the states an action starts from and the one it leads to."""

    sources: frozenset[State]
    target: State
    history: str  # the action's name in the ticket's history


# The state table: which action leads from which states to which state. ``judge`` adds
# who may take the step; ``moved`` and ``forwarded`` make it. Archiving is the system's
# step (``archive_due`` in the store), done tickets only.
STATE_TABLE: dict[Action, Step] = {
    Action.LOCK: Step(frozenset({State.NEW}), State.IN_WORK, "locked"),
    Action.UNLOCK: Step(frozenset({State.IN_WORK}), State.NEW, "unlocked"),
    Action.COMPLETE: Step(frozenset({State.IN_WORK}), State.DONE, "completed"),
    Action.REOPEN: Step(frozenset({State.DONE}), State.IN_WORK, "reopened"),
    Action.FORWARD: Step(frozenset({State.NEW, State.IN_WORK}), State.NEW, "forwarded"),
}
ARCHIVE = Step(frozenset({State.DONE}), State.ARCHIVED, "archived")


def moved(t: Ticket, action: Action, by: int) -> Ticket:
    """The ticket after lock, unlock, complete or reopen by user ``by`` (already judged)."""
    target = STATE_TABLE[action].target
    if action is Action.LOCK:
        return replace(t, state=target, locked_by=by)
    if action is Action.UNLOCK:
        return replace(t, state=target, locked_by=None)
    if action is Action.COMPLETE:
        return replace(t, state=target, locked_by=None, done_by=by)
    if action is Action.REOPEN:  # back in work by the one who had it
        return replace(t, state=target, locked_by=t.done_by, done_by=None)
    raise AssertionError(action)


def forwarded(t: Ticket, unit_id: int, assignee_ids: list[int]) -> Ticket:
    """The ticket sent to another unit (and people): new again, nobody holds it."""
    target = STATE_TABLE[Action.FORWARD].target
    return replace(t, unit_id=unit_id, assignee_ids=list(assignee_ids), state=target, locked_by=None)


def is_staff(actor: Actor) -> bool:
    return not actor.is_client and actor.role is not None


def heads(actor: Actor, t: Ticket) -> bool:
    """The actor heads the ticket: department head, or head of the ticket's unit."""
    if actor.is_client:
        return False
    if actor.role is Role.DEPARTMENT_HEAD:
        return True
    return actor.role is Role.UNIT_HEAD and t.unit_id in actor.unit_ids


def is_related(actor: Actor, t: Ticket) -> bool:
    """Who is "related" and may take part in the ticket's work (docs/product/roles.md § Related)."""
    if not is_staff(actor):
        return False
    if actor.role is Role.DEPARTMENT_HEAD:
        return True
    if actor.role is Role.UNIT_HEAD:
        return t.unit_id in actor.unit_ids or t.author_id == actor.user_id
    if t.author_id == actor.user_id or actor.user_id in t.assignee_ids:
        return True
    return t.unit_id in actor.unit_ids and not t.assignee_ids


class Verdict(enum.Enum):
    """The answer to "may this caller do this now?"."""

    ALLOWED = "allowed"
    WRONG_STATE = "wrong_state"  # 409: the caller could, but not in this state
    FORBIDDEN = "forbidden"  # 403: not the caller's to do
    INVISIBLE = "invisible"  # 404: the caller does not see the ticket


def judge(actor: Actor, t: Ticket, action: Action) -> Verdict:  # noqa: C901
    """The action table of docs/product/tickets.md § Actions, exactly, for one caller and
    one ticket."""
    if action is Action.DELETE:
        if actor.is_admin and not actor.is_client:
            return Verdict.ALLOWED
        return Verdict.FORBIDDEN if can_see(actor, t) else Verdict.INVISIBLE
    if not can_see(actor, t):
        return Verdict.INVISIBLE
    me = actor.user_id
    if action is Action.COMMENT:
        return Verdict.WRONG_STATE if t.state is State.ARCHIVED else Verdict.ALLOWED
    if action is Action.EDIT:
        if not (t.author_id == me or heads(actor, t)):
            return Verdict.FORBIDDEN
        # A client's request that is done stays as it was done (he reopens it by commenting).
        closed = {State.ARCHIVED, State.DONE} if actor.is_client else {State.ARCHIVED}
        return Verdict.WRONG_STATE if t.state in closed else Verdict.ALLOWED
    # The work actions: staff related to the ticket only, from the states the table names.
    if not is_related(actor, t):
        return Verdict.FORBIDDEN
    if t.state not in STATE_TABLE[action].sources:
        return Verdict.WRONG_STATE
    if action is Action.LOCK or (action is Action.FORWARD and t.state is State.NEW):
        return Verdict.ALLOWED
    if action in (Action.UNLOCK, Action.COMPLETE):
        return Verdict.ALLOWED if t.locked_by == me or heads(actor, t) else Verdict.FORBIDDEN
    if action is Action.REOPEN:
        return Verdict.ALLOWED if t.done_by == me or heads(actor, t) else Verdict.FORBIDDEN
    if action is Action.FORWARD:  # in work: only by the one who holds it
        return Verdict.ALLOWED if t.locked_by == me else Verdict.FORBIDDEN
    raise AssertionError(action)


def allowed_actions(actor: Actor, t: Ticket) -> list[str]:
    """Exactly what this caller may do to this ticket now, in a stable order."""
    return [a.value for a in Action if judge(actor, t, a) is Verdict.ALLOWED]


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: datetime
    actor_id: int
    action: str
    changes: dict[str, list[object]]


@dataclass(frozen=True)
class Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str
    html: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()
    internal: bool = False  # a staff note: clients never see it


@dataclass(frozen=True)
class CannedResponse:
    """A text staff insert from the comment box; a person's own or shared with a unit."""

    id: int
    owner_id: int | None
    unit_id: int | None
    title: str
    body: str


@dataclass(frozen=True)
class SavedView:
    """A list's filters and sort (its URL query) under a name; own or shared with a unit."""

    id: int
    owner_id: int
    unit_id: int | None
    name: str
    query: str


def may_share_with(actor: Actor, unit_id: int) -> bool:
    """Who may keep a canned response or a view shared with a unit: its heads and admins."""
    if actor.is_client:
        return False
    if actor.is_admin or actor.role is Role.DEPARTMENT_HEAD:
        return True
    return actor.role is Role.UNIT_HEAD and unit_id in actor.unit_ids


def shared_units(actor: Actor) -> list[int] | None:
    """The units whose shared canned responses and views the actor reads (None: all)."""
    if actor.is_client:
        return []
    if actor.role is Role.DEPARTMENT_HEAD:
        return None
    return sorted(actor.unit_ids)


def report_units(actor: Actor, unit_id: int | None) -> list[int] | None:
    """The units whose report the actor may read (None: all), or NotAllowed: admins and
    department heads any unit, unit heads their own (docs/product/roles.md)."""
    if actor.is_client or actor.role is None:
        raise NotAllowed("Reports are for heads and admins.")
    if actor.is_admin or actor.role is Role.DEPARTMENT_HEAD:
        return [unit_id] if unit_id else None
    if actor.role is Role.UNIT_HEAD:
        if unit_id and unit_id not in actor.unit_ids:
            raise NotAllowed("Unit heads read the report of their own units.")
        return [unit_id] if unit_id else sorted(actor.unit_ids)
    raise NotAllowed("Reports are for heads and admins.")


@dataclass(frozen=True)
class Subject:
    id: int
    name: str
    sla_plan_id: int | None


def changes(before: Ticket, after: Ticket, fields: tuple[str, ...]) -> dict[str, list[object]]:
    """``{field: [before, after]}`` for the fields that differ, JSON-ready."""
    out: dict[str, list[object]] = {}
    for name in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out[name] = [_plain(old), _plain(new)]
    return out


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


WORK_FIELDS = ("state", "locked_by", "done_by", "unit_id", "assignee_ids")
EDIT_FIELDS = ("subject", "subject_id", "body", "priority", "sla_plan_id", "deadline")


BOXES = ("inbox", "outbox", "archive")


@dataclass(frozen=True)
class ListQuery:
    """A list request: box, filters, order, and where the previous page ended."""

    box: str = "inbox"
    states: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    unit_id: int | None = None
    assignee_id: int | None = None
    locked: str | None = None  # "me" | "others"
    sla_states: list[str] = field(default_factory=list)
    text: str | None = None
    sort: str = "-id"
    limit: int = 50
    after: tuple[object, int] | None = None  # (sort value, id) of the previous page's last row


@dataclass(frozen=True)
class Attachment:
    id: int
    ticket_id: int
    storage_key: str
    filename: str
    content_type: str
    size: int
    author_id: int
    created_at: datetime
    comment_id: int | None = None
    for_comment: bool = False  # uploaded for the comment being written


def client_sees_file(a: Attachment, internal_comment_ids: set[int]) -> bool:
    """A client sees a file on the ticket itself, or on a comment that is not internal;
    a file uploaded for a comment shows once it is on one."""
    if a.comment_id is None:
        return not a.for_comment
    return a.comment_id not in internal_comment_ids


# Edits a client may not make to his own ticket: how urgent it is and when it is due are
# the staff's to decide.
CLIENT_FORBIDDEN_EDITS = ("priority", "deadline")
