"""The facts tickets publishes (stream TICKETS, subjects ``tickets.<Event>``).

Each function builds one event's subject and payload from the ticket as it was
committed; the use cases record it in the outbox in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from helpdesk.tickets.v1 import events_pb2

from helpdesk_kit.streams import subject
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_tickets.domain import Action, Actor, Comment, Ticket
from helpdesk_tickets.wire import ticket_to_pb

SERVICE = "tickets"


def ticket_created(t: Ticket, actor: Actor) -> tuple[str, events_pb2.TicketCreated]:
    return subject(SERVICE, "TicketCreated"), events_pb2.TicketCreated(
        actor_id=actor.user_id,
        occurred_at=to_timestamp(t.created_at),
        ticket=ticket_to_pb(t),
        sla_plan_id=t.sla_plan_id or 0,
        actor_unit_ids=sorted(actor.unit_ids),
    )


def work_event(action: Action, before: Ticket, after: Ticket, actor: Actor) -> tuple[str, Message]:
    """The event of lock / unlock / complete / reopen."""
    common: dict[str, Any] = {
        "actor_id": actor.user_id,
        "occurred_at": to_timestamp(after.updated_at),
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
        occurred_at=to_timestamp(after.updated_at),
        ticket=ticket_to_pb(after),
        actor_unit_ids=sorted(actor.unit_ids),
        previous_unit_id=before.unit_id,
        previous_assignee_ids=before.assignee_ids,
        note=note,
    )


def ticket_edited(t: Ticket, actor: Actor, changed: list[str]) -> tuple[str, events_pb2.TicketEdited]:
    return subject(SERVICE, "TicketEdited"), events_pb2.TicketEdited(
        actor_id=actor.user_id,
        occurred_at=to_timestamp(t.updated_at),
        ticket=ticket_to_pb(t),
        actor_unit_ids=sorted(actor.unit_ids),
        changed_fields=changed,
    )


def ticket_commented(
    t: Ticket, actor: Actor, comment: Comment, previous_commenters: list[int]
) -> tuple[str, events_pb2.TicketCommented]:
    return subject(SERVICE, "TicketCommented"), events_pb2.TicketCommented(
        actor_id=actor.user_id,
        occurred_at=to_timestamp(comment.created_at),
        ticket=ticket_to_pb(t),
        actor_unit_ids=sorted(actor.unit_ids),
        comment_id=comment.id,
        comment_body=comment.body,
        previous_commenter_ids=previous_commenters,
        attachment_ids=[a.id for a in comment.attachments],
    )


def ticket_archived(t: Ticket) -> tuple[str, events_pb2.TicketArchived]:
    return subject(SERVICE, "TicketArchived"), events_pb2.TicketArchived(
        actor_id=0, occurred_at=to_timestamp(t.updated_at), ticket=ticket_to_pb(t)
    )


def ticket_deleted(ticket_id: int, actor: Actor) -> tuple[str, events_pb2.TicketDeleted]:
    return subject(SERVICE, "TicketDeleted"), events_pb2.TicketDeleted(
        actor_id=actor.user_id, occurred_at=to_timestamp(datetime.now(UTC)), ticket_id=ticket_id
    )
