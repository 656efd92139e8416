"""Domain ⇄ protobuf for what tickets publishes and answers."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.tickets.v1 import events_pb2, tickets_pb2

from helpdesk_kit.streams import subject
from helpdesk_tickets.domain import Actor, Priority, Role, State, Ticket

SERVICE = "tickets"

PRIORITY_PB = {
    Priority.LOW: tickets_pb2.PRIORITY_LOW,
    Priority.NORMAL: tickets_pb2.PRIORITY_NORMAL,
    Priority.HIGH: tickets_pb2.PRIORITY_HIGH,
}
PRIORITY_IN = {v: k for k, v in PRIORITY_PB.items()}
STATE_PB = {
    State.NEW: tickets_pb2.STATE_NEW,
    State.IN_WORK: tickets_pb2.STATE_IN_WORK,
    State.DONE: tickets_pb2.STATE_DONE,
    State.ARCHIVED: tickets_pb2.STATE_ARCHIVED,
}


def timestamp(dt: datetime | None) -> Timestamp | None:
    if dt is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(dt)
    return ts


def ticket_to_pb(t: Ticket, allowed_actions: list[str] | None = None) -> tickets_pb2.Ticket:
    return tickets_pb2.Ticket(
        id=t.id,
        number=t.number,
        ref=t.ref,
        subject=t.subject,
        subject_id=t.subject_id or 0,
        body=t.body,
        priority=PRIORITY_PB[t.priority],
        state=STATE_PB[t.state],
        unit_id=t.unit_id,
        assignee_ids=t.assignee_ids,
        author_id=t.author_id,
        client_id=t.client_id or 0,
        locked_by=t.locked_by or 0,
        done_by=t.done_by or 0,
        deadline=timestamp(t.deadline),
        created_at=timestamp(t.created_at),
        updated_at=timestamp(t.updated_at),
        source=t.source,
        allowed_actions=allowed_actions or [],
    )


def actor_from_pb(a: tickets_pb2.Actor) -> Actor:
    return Actor(
        user_id=a.user_id,
        is_client=a.is_client,
        role=Role(a.role) if a.role else None,
        unit_ids=frozenset(a.unit_ids),
        is_admin=a.is_admin,
        client_group_id=a.client_group_id or None,
        is_client_group_lead=a.is_client_group_lead,
    )


def ticket_created(t: Ticket, actor: Actor) -> tuple[str, events_pb2.TicketCreated]:
    return subject(SERVICE, "TicketCreated"), events_pb2.TicketCreated(
        actor_id=actor.user_id, occurred_at=timestamp(t.created_at), ticket=ticket_to_pb(t)
    )
