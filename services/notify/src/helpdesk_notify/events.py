"""What notify consumes: facts from tickets (and, later, sla and identity)."""

from __future__ import annotations

from typing import Any

from helpdesk.tickets.v1 import events_pb2 as tickets_events

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Route
from helpdesk_notify import usecases
from helpdesk_notify.rules import Directory


def routes(directory: Directory) -> list[Route]:
    async def on_ticket_created(uow: UnitOfWork, event: Event[Any]) -> None:
        msg: tickets_events.TicketCreated = event.message
        await usecases.notify_ticket_created(
            uow=uow,
            directory=directory,
            event_id=event.id,
            actor_id=msg.actor_id,
            ticket_id=msg.ticket.id,
            number=msg.ticket.number,
            subject_line=msg.ticket.subject,
            unit_id=msg.ticket.unit_id,
            assignee_ids=list(msg.ticket.assignee_ids),
        )

    return [Route(tickets_events.TicketCreated, on_ticket_created)]
