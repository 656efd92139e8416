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
from helpdesk_tickets.domain import Action, Actor, Comment, Ticket, audience
from helpdesk_tickets.wire import audience_to_pb, ticket_to_pb

SERVICE = "tickets"


def _about(t: Ticket, actor: Actor, at: datetime) -> dict[str, Any]:
    """What every event of a changed ticket carries: who, when, the ticket after the change,
    the actor's units and who may see the ticket now."""
    return {
        "actor_id": actor.user_id,
        "occurred_at": to_timestamp(at),
        "ticket": ticket_to_pb(t),
        "actor_unit_ids": sorted(actor.unit_ids),
        "audience": audience_to_pb(audience(t)),
    }


def ticket_created(t: Ticket, actor: Actor) -> tuple[str, events_pb2.TicketCreated]:
    return subject(SERVICE, "TicketCreated"), events_pb2.TicketCreated(
        **_about(t, actor, t.created_at), sla_plan_id=t.sla_plan_id or 0
    )


def work_event(action: Action, before: Ticket, after: Ticket, actor: Actor) -> tuple[str, Message]:
    """The event of lock / unlock / complete / reopen."""
    common = _about(after, actor, after.updated_at)
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
        **_about(after, actor, after.updated_at),
        previous_unit_id=before.unit_id,
        previous_assignee_ids=before.assignee_ids,
        note=note,
    )


def ticket_edited(t: Ticket, actor: Actor, changed: list[str]) -> tuple[str, events_pb2.TicketEdited]:
    return subject(SERVICE, "TicketEdited"), events_pb2.TicketEdited(
        **_about(t, actor, t.updated_at), changed_fields=changed
    )


def ticket_commented(
    t: Ticket, actor: Actor, comment: Comment, previous_commenters: list[int]
) -> tuple[str, events_pb2.TicketCommented]:
    return subject(SERVICE, "TicketCommented"), events_pb2.TicketCommented(
        **_about(t, actor, comment.created_at),
        comment_id=comment.id,
        comment_body=comment.body,
        previous_commenter_ids=previous_commenters,
        attachment_ids=[a.id for a in comment.attachments],
        internal=comment.internal,
    )


def ticket_archived(t: Ticket) -> tuple[str, events_pb2.TicketArchived]:
    """Archived by the system (actor 0), so no actor's units."""
    return subject(SERVICE, "TicketArchived"), events_pb2.TicketArchived(
        actor_id=0,
        occurred_at=to_timestamp(t.updated_at),
        ticket=ticket_to_pb(t),
        audience=audience_to_pb(audience(t)),
    )


def ticket_deleted(t: Ticket, actor: Actor) -> tuple[str, events_pb2.TicketDeleted]:
    """Who could see the ticket is told it is gone."""
    return subject(SERVICE, "TicketDeleted"), events_pb2.TicketDeleted(
        actor_id=actor.user_id,
        occurred_at=to_timestamp(datetime.now(UTC)),
        ticket_id=t.id,
        audience=audience_to_pb(audience(t)),
    )
