"""The events sla consumes: every ticket fact that starts, stops or re-targets a clock.

Each event carries the ticket after the change; it becomes a ``Fact`` in the
ticket's history, and the clocks are recomputed from that history.
"""

from __future__ import annotations

from typing import Any

from helpdesk.tickets.v1 import events_pb2 as tickets_events
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Route
from helpdesk_kit.timestamps import from_timestamp
from helpdesk_sla import usecases
from helpdesk_sla.domain import Fact, TicketState

_STATE = {
    tickets_pb2.STATE_NEW: TicketState.NEW,
    tickets_pb2.STATE_IN_WORK: TicketState.IN_WORK,
    tickets_pb2.STATE_DONE: TicketState.DONE,
    tickets_pb2.STATE_ARCHIVED: TicketState.ARCHIVED,
}
_PRIORITY = {
    tickets_pb2.PRIORITY_LOW: "low",
    tickets_pb2.PRIORITY_NORMAL: "normal",
    tickets_pb2.PRIORITY_HIGH: "high",
}
# Events that move a ticket without saying so in its state field carry their meaning here.
_IMPLIED_STATE = {
    "TicketCreated": TicketState.NEW,
    "TicketTaken": TicketState.IN_WORK,
    "TicketReleased": TicketState.NEW,
    "TicketCompleted": TicketState.DONE,
    "TicketReopened": TicketState.IN_WORK,
    "TicketArchived": TicketState.ARCHIVED,
}


def to_fact(msg: Any) -> Fact:
    """A ticket event (any of tickets.v1's, with ``ticket`` and ``occurred_at``) as a Fact."""
    t: tickets_pb2.Ticket = msg.ticket
    name = msg.DESCRIPTOR.name
    state = _STATE.get(t.state) or _IMPLIED_STATE.get(name, TicketState.NEW)
    plan = t.sla_plan_id or (msg.sla_plan_id if name == "TicketCreated" else 0)
    created = from_timestamp(t.created_at) if t.HasField("created_at") else from_timestamp(msg.occurred_at)
    occurred = from_timestamp(msg.occurred_at) if msg.HasField("occurred_at") else created
    return Fact(
        version=t.version,
        occurred_at=occurred,
        state=state,
        priority=_PRIORITY.get(t.priority, "normal"),
        plan_id=plan or None,
        unit_id=t.unit_id,
        assignee_ids=tuple(t.assignee_ids),
        created_at=created,
    )


def routes(policy: usecases.Policy) -> list[Route]:
    async def on_ticket_fact(uow: UnitOfWork, event: Event[Any]) -> None:
        msg = event.message
        await usecases.apply_fact(uow=uow, ticket_id=msg.ticket.id, fact=to_fact(msg), policy=policy)

    async def on_ticket_deleted(uow: UnitOfWork, event: Event[Any]) -> None:
        msg: tickets_events.TicketDeleted = event.message
        await usecases.delete_ticket(
            uow=uow, ticket_id=msg.ticket_id, created_at=from_timestamp(msg.occurred_at)
        )

    facts = [
        tickets_events.TicketCreated,
        tickets_events.TicketTaken,
        tickets_events.TicketReleased,
        tickets_events.TicketCompleted,
        tickets_events.TicketReopened,
        tickets_events.TicketForwarded,
        tickets_events.TicketEdited,
        tickets_events.TicketArchived,
    ]
    return [
        *(Route(m, on_ticket_fact) for m in facts),
        Route(tickets_events.TicketDeleted, on_ticket_deleted),
    ]
