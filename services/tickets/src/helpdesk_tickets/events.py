"""Domain ⇄ protobuf for what tickets publishes and answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.tickets.v1 import events_pb2, tickets_pb2

from helpdesk_kit.streams import subject
from helpdesk_tickets.domain import Action, Actor, Comment, Priority, State, Ticket

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


def ticket_to_pb(
    t: Ticket, allowed_actions: list[str] | None = None, values: dict[str, object] | None = None
) -> tickets_pb2.Ticket:
    """The ticket as published (all custom field values) or as answered (``values``: those
    the caller may see)."""
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
        sla_plan_id=t.sla_plan_id or 0,
        version=t.version,
        sla_state=t.sla_state or "",
        custom_fields_json=orjson.dumps(t.custom_fields if values is None else values).decode(),
    )


def ticket_created(t: Ticket, actor: Actor) -> tuple[str, events_pb2.TicketCreated]:
    return subject(SERVICE, "TicketCreated"), events_pb2.TicketCreated(
        actor_id=actor.user_id,
        occurred_at=timestamp(t.created_at),
        ticket=ticket_to_pb(t),
        sla_plan_id=t.sla_plan_id or 0,
        actor_unit_ids=sorted(actor.unit_ids),
    )


HISTORY_ACTION = {
    Action.LOCK: "locked",
    Action.UNLOCK: "unlocked",
    Action.COMPLETE: "completed",
    Action.REOPEN: "reopened",
}


def work_event(action: Action, before: Ticket, after: Ticket, actor: Actor) -> tuple[str, Message]:
    """The event of lock / unlock / complete / reopen."""
    common: dict[str, Any] = {
        "actor_id": actor.user_id,
        "occurred_at": timestamp(after.updated_at),
        "ticket": ticket_to_pb(after),
        "actor_unit_ids": sorted(actor.unit_ids),
    }
    if action is Action.LOCK:
        return subject(SERVICE, "TicketTaken"), events_pb2.TicketTaken(**common)
    if action is Action.UNLOCK:
        return subject(SERVICE, "TicketReleased"), events_pb2.TicketReleased(
            **common, previous_locked_by=before.locked_by or 0
        )
    if action is Action.COMPLETE:
        return subject(SERVICE, "TicketCompleted"), events_pb2.TicketCompleted(**common)
    return subject(SERVICE, "TicketReopened"), events_pb2.TicketReopened(**common)


def ticket_forwarded(
    before: Ticket, after: Ticket, actor: Actor, note: str
) -> tuple[str, events_pb2.TicketForwarded]:
    return subject(SERVICE, "TicketForwarded"), events_pb2.TicketForwarded(
        actor_id=actor.user_id,
        occurred_at=timestamp(after.updated_at),
        ticket=ticket_to_pb(after),
        actor_unit_ids=sorted(actor.unit_ids),
        previous_unit_id=before.unit_id,
        previous_assignee_ids=before.assignee_ids,
        note=note,
    )


def ticket_edited(t: Ticket, actor: Actor, changed: list[str]) -> tuple[str, events_pb2.TicketEdited]:
    return subject(SERVICE, "TicketEdited"), events_pb2.TicketEdited(
        actor_id=actor.user_id,
        occurred_at=timestamp(t.updated_at),
        ticket=ticket_to_pb(t),
        actor_unit_ids=sorted(actor.unit_ids),
        changed_fields=changed,
    )


def ticket_commented(
    t: Ticket, actor: Actor, comment: Comment, previous_commenters: list[int]
) -> tuple[str, events_pb2.TicketCommented]:
    return subject(SERVICE, "TicketCommented"), events_pb2.TicketCommented(
        actor_id=actor.user_id,
        occurred_at=timestamp(comment.created_at),
        ticket=ticket_to_pb(t),
        actor_unit_ids=sorted(actor.unit_ids),
        comment_id=comment.id,
        comment_body=comment.body,
        previous_commenter_ids=previous_commenters,
        attachment_ids=[a.id for a in comment.attachments],
    )


def ticket_archived(t: Ticket) -> tuple[str, events_pb2.TicketArchived]:
    return subject(SERVICE, "TicketArchived"), events_pb2.TicketArchived(
        actor_id=0, occurred_at=timestamp(t.updated_at), ticket=ticket_to_pb(t)
    )


def ticket_deleted(ticket_id: int, actor: Actor) -> tuple[str, events_pb2.TicketDeleted]:
    return subject(SERVICE, "TicketDeleted"), events_pb2.TicketDeleted(
        actor_id=actor.user_id, occurred_at=timestamp(datetime.now(UTC)), ticket_id=ticket_id
    )
