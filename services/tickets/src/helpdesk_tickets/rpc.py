"""gRPC ⇄ use cases for helpdesk.tickets.v1.Tickets."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from helpdesk.tickets.v1 import tickets_pb2 as pb
from helpdesk.tickets.v1 import tickets_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import NewTicket
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.events import PRIORITY_IN, actor_from_pb, ticket_to_pb

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class TicketsService(pb_grpc.TicketsServicer):
    def __init__(self, *, db: Database, units: UnitDirectory) -> None:
        self._db = db
        self._units = units

    async def CreateTicket(self, request: pb.CreateTicketRequest, context: Context) -> pb.Ticket:
        priority = PRIORITY_IN.get(request.priority)
        if priority is None:
            raise InvalidTicket(
                "The ticket is not valid.", errors=[FieldError("priority", "low, normal or high")]
            )
        new = NewTicket(
            subject=request.subject,
            body=request.body,
            priority=priority,
            unit_id=request.unit_id,
            assignee_ids=list(request.assignee_ids),
            client_id=request.client_id or None,
            source=request.source or "api",
        )
        ticket = await usecases.create_ticket(
            db=self._db,
            units=self._units,
            actor=actor_from_pb(request.actor),
            new=new,
            idempotency_key=request.idempotency_key or None,
        )
        return ticket_to_pb(ticket)

    async def GetTicket(self, request: pb.GetTicketRequest, context: Context) -> pb.Ticket:
        ticket = await usecases.get_ticket(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id
        )
        return ticket_to_pb(ticket)
