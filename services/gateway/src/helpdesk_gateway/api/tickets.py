"""REST for tickets (API.md "Tickets")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, ts
from helpdesk_gateway.auth import CallerDep

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)

PRIORITY_PB = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
PRIORITY_NAME = {v: k for k, v in PRIORITY_PB.items()}
STATE_NAME = {
    t_pb.STATE_NEW: "new",
    t_pb.STATE_IN_WORK: "in_work",
    t_pb.STATE_DONE: "done",
    t_pb.STATE_ARCHIVED: "archived",
}


class TicketIn(Strict):
    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(default="", max_length=100_000)
    priority: Literal["low", "normal", "high"] = "normal"
    unit_id: int = Field(gt=0)
    assignee_ids: list[int] = Field(default_factory=list, max_length=100)
    client_id: int | None = Field(default=None, gt=0)


def ticket_out(t: t_pb.Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "number": t.number,
        "ref": t.ref,
        "subject": t.subject,
        "subject_id": t.subject_id or None,
        "body": t.body,
        "priority": PRIORITY_NAME.get(t.priority),
        "state": STATE_NAME.get(t.state),
        "unit_id": t.unit_id,
        "assignee_ids": list(t.assignee_ids),
        "author_id": t.author_id,
        "client_id": t.client_id or None,
        "locked_by": t.locked_by or None,
        "done_by": t.done_by or None,
        "deadline": ts(t.deadline),
        "source": t.source,
        "created_at": ts(t.created_at),
        "updated_at": ts(t.updated_at),
        "allowed_actions": list(t.allowed_actions),
    }


@router.post("/tickets", response_model=None, status_code=201)
async def create_ticket(
    body: TicketIn,
    caller: CallerDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    ticket = await clients(request).tickets.CreateTicket(
        t_pb.CreateTicketRequest(
            actor=caller.as_actor(),
            subject=body.subject,
            body=body.body,
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            client_id=body.client_id or 0,
            idempotency_key=idempotency_key or "",
            source="api",
        )
    )
    return ticket_out(ticket)


@router.get("/tickets/{ticket_id}", response_model=None)
async def get_ticket(ticket_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    ticket = await clients(request).tickets.GetTicket(
        t_pb.GetTicketRequest(actor=caller.as_actor(), ticket_id=ticket_id)
    )
    return ticket_out(ticket)
