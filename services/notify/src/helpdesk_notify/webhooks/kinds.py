"""The facts webhooks and the events feed carry: their type names and their data.

A type is named after the fact a service publishes (``TicketTaken`` → ``ticket.taken``).
``data`` is the resource as the REST API shows it: a ticket by the same mapping as
``GET /api/v1/tickets/{id}`` (``helpdesk_kit.resources``) — without the fields that
depend on who asks (``names``, ``sla``, ``body_html``, and ``allowed_actions`` left
empty); an SLA alert the clock that fired; a user event the user as
``GET /api/v1/users/{id}`` shows him (``usecases.record`` asks identity; here only his
id). ``Who`` keeps who may read the event in the feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from helpdesk.identity.v1 import events_pb2 as identity_events
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2
from helpdesk.tickets.v1 import events_pb2 as tickets_events

from helpdesk_kit.resources import ticket_fields
from helpdesk_kit.timestamps import from_timestamp, is_set, to_rfc3339

TICKET_EVENTS: dict[type[Message], str] = {
    tickets_events.TicketCreated: "ticket.created",
    tickets_events.TicketTaken: "ticket.taken",
    tickets_events.TicketReleased: "ticket.released",
    tickets_events.TicketCompleted: "ticket.completed",
    tickets_events.TicketReopened: "ticket.reopened",
    tickets_events.TicketForwarded: "ticket.forwarded",
    tickets_events.TicketCommented: "ticket.commented",
    tickets_events.TicketEdited: "ticket.edited",
    tickets_events.TicketArchived: "ticket.archived",
    tickets_events.TicketDeleted: "ticket.deleted",
}
SLA_EVENTS: dict[type[Message], str] = {
    sla_events.SlaWarning: "sla.warning",
    sla_events.SlaBreached: "sla.breached",
}
IDENTITY_EVENTS: dict[type[Message], str] = {
    identity_events.UserRegistered: "user.registered",
    identity_events.UserChanged: "user.changed",
}
TEST = "webhook.test"
TYPES: tuple[str, ...] = (
    *TICKET_EVENTS.values(),
    *SLA_EVENTS.values(),
    *IDENTITY_EVENTS.values(),
)


@dataclass(frozen=True)
class Who:
    """Who may read an event in the feed: a ticket's audience (tickets' visibility rule,
    as the event lists it) or administrators only."""

    admins_only: bool = False
    staff_user_ids: tuple[int, ...] = ()
    client_user_ids: tuple[int, ...] = ()
    head_unit_ids: tuple[int, ...] = ()
    member_unit_ids: tuple[int, ...] = ()
    client_group_id: int | None = None

    @classmethod
    def of_ticket(cls, audience: Any, *, staff_only: bool = False) -> Who:
        return cls(
            staff_user_ids=tuple(audience.staff_user_ids),
            client_user_ids=() if staff_only else tuple(audience.client_user_ids),
            head_unit_ids=tuple(audience.head_unit_ids),
            member_unit_ids=tuple(audience.member_unit_ids),
            client_group_id=None if staff_only else (audience.client_group_id or None),
        )


@dataclass(frozen=True)
class FeedEvent:
    """One fact as webhooks send it and the feed shows it."""

    event_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    who: Who = field(default_factory=Who)
    ticket_id: int | None = None
    unit_id: int | None = None
    # SLA events carry no audience: the ticket's last known one stands in, staff only.
    audience_of_ticket: bool = False


def _when(message: Any) -> datetime:
    return from_timestamp(message.occurred_at) if is_set(message.occurred_at) else datetime.now(UTC)


def ticket_data(ticket: Any) -> dict[str, Any]:
    """A ticket as the REST API shows it, minus what depends on who asks."""
    return {**ticket_fields(ticket), "allowed_actions": [], "names": {}, "body_html": None, "sla": None}


def feed_event(event_id: str, message: Message) -> FeedEvent | None:
    """The feed event of a consumed fact, or None for facts webhooks do not carry."""
    kind = type(message)
    m: Any = message
    if kind in TICKET_EVENTS:
        name = TICKET_EVENTS[kind]
        internal = kind is tickets_events.TicketCommented and m.internal
        who = Who.of_ticket(m.audience, staff_only=internal)
        if kind is tickets_events.TicketDeleted:
            return FeedEvent(event_id, name, _when(m), {"id": m.ticket_id}, who, ticket_id=m.ticket_id)
        data = ticket_data(m.ticket)
        if kind is tickets_events.TicketCommented:
            data = {**data, "comment": {"id": m.comment_id, "body": m.comment_body, "internal": m.internal}}
        return FeedEvent(event_id, name, _when(m), data, who, ticket_id=m.ticket.id, unit_id=m.ticket.unit_id)
    if kind in SLA_EVENTS:
        data = {
            "ticket_id": m.ticket_id,
            "clock": sla_pb2.ClockKind.Name(m.clock).removeprefix("CLOCK_KIND_").lower(),
            "due_at": to_rfc3339(m.due_at),
            "unit_id": m.unit_id or None,
            "assignee_ids": list(m.assignee_ids),
        }
        who = Who(
            staff_user_ids=tuple(m.assignee_ids), member_unit_ids=(m.unit_id,), head_unit_ids=(m.unit_id,)
        )
        return FeedEvent(
            event_id,
            SLA_EVENTS[kind],
            datetime.now(UTC),
            data,
            who,
            ticket_id=m.ticket_id,
            unit_id=m.unit_id or None,
            audience_of_ticket=True,
        )
    if kind in IDENTITY_EVENTS:
        data = {"id": m.user_id}
        if kind is identity_events.UserChanged:
            data["is_active"] = m.is_active
        return FeedEvent(event_id, IDENTITY_EVENTS[kind], _when(m), data, Who(admins_only=True))
    return None
