"""What sla consumes: ticket facts that start and stop clocks."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from helpdesk.tickets.v1 import events_pb2 as tickets_events

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Route
from helpdesk_sla import usecases


async def on_ticket_created(uow: UnitOfWork, event: Event[Any]) -> None:
    msg: tickets_events.TicketCreated = event.message
    await usecases.start_ticket_clocks(
        uow=uow, ticket_id=msg.ticket.id, created_at=msg.ticket.created_at.ToDatetime(tzinfo=UTC)
    )


ROUTES = [Route(tickets_events.TicketCreated, on_ticket_created)]
