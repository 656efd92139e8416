"""REST for tickets (docs/api-conventions.md): HTTP ⇄ gRPC, nothing more; the rules live in tickets.

A ticket's ``ETag`` is its version (``"v7"``); ``If-Match`` on PATCH and on the
transitions makes a change conditional (412 when stale).
"""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import Depends, Header, Query, Request, Response
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import AwareDatetime, Field

from helpdesk_gateway.api import tickets_admin, tickets_desk, tickets_fields, tickets_files
from helpdesk_gateway.api.models.tickets import (
    PRIORITY_PB,
    Comment,
    CommentList,
    HistoryEntry,
    HistoryPage,
    Priority,
    Ticket,
    TicketList,
    people,
    ticket_json,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.sla import clocks_of
from helpdesk_gateway.api.ticket_filters import TicketFiltersDep
from helpdesk_gateway.api.tickets_names import names
from helpdesk_gateway.api.values import (
    LINE,
    TEXT,
    Id,
    IdPath,
    line,
    text,
)
from helpdesk_gateway.auth import Caller, CallerDep
from helpdesk_gateway.ratelimits import limited_caller
from helpdesk_kit.timestamps import to_timestamp

router = api_router(prefix="/api/v1")
# Included first: "/tickets/counters" and "/tickets/total" must match before "/tickets/{ticket_id}".
router.include_router(tickets_desk.router)
router.include_router(tickets_fields.router)
router.include_router(tickets_admin.router)
router.include_router(tickets_files.router)

IfMatch = Annotated[str | None, Header(max_length=100, pattern=LINE)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, pattern=LINE)]
# A custom field's value: text, a date, or the options picked (tickets checks it against the field).
FieldValue = Annotated[str, Field(max_length=10_000, pattern=TEXT)]
CustomValues = Annotated[
    dict[Annotated[str, Field(max_length=20, pattern=r"^[0-9]+$")], FieldValue | list[FieldValue] | None],
    Field(max_length=200, description="field id → value; null clears it (PATCH)"),
]


class TicketIn(Strict):
    subject: str | None = line(255, min_length=1, default=None)
    subject_id: Id | None = None
    body: str = text(100_000, default="")
    priority: Priority = "normal"
    unit_id: Id
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)
    client_id: Id | None = None
    deadline: AwareDatetime | None = None
    custom_fields: CustomValues = Field(default_factory=dict)
    source: Literal["api", "web"] = Field(
        default="api", description="what filed it: the web interface says web, anything else api"
    )


class TicketPatch(Strict):
    subject: str | None = line(255, min_length=1, default=None)
    subject_id: Id | None = None
    body: str | None = text(100_000, default=None)
    priority: Priority | None = None
    custom_fields: CustomValues | None = None  # value null = clear
    deadline: AwareDatetime | None = None  # explicit null = no deadline any more


class ForwardIn(Strict):
    unit_id: Id
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)
    note: str = text(50_000, default="")


class CommentIn(Strict):
    body: str = text(50_000, default="")  # may be empty when files are attached
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20)
    internal: bool | None = None  # a staff note; unset: the default of the caller's role


def etag(t: t_pb.Ticket) -> str:
    return f'"v{t.version}"'


def expected_version(if_match: str | None) -> int:
    """0 = no condition; an ETag that is not one of ours matches no version (-1 → 412)."""
    if if_match is None or if_match.strip() == "*":
        return 0
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag.startswith("v") and tag[1:].isdigit():
        return int(tag[1:])
    return -1


async def _with_etag(t: t_pb.Ticket, request: Request, response: Response) -> Ticket:
    response.headers["ETag"] = etag(t)
    return Ticket.from_pb(t, await names(request, people(t)))


@router.post("/tickets", status_code=201)
async def create_ticket(
    body: TicketIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Ticket:
    ticket = await _create(body, request, idempotency_key)
    response.headers["Location"] = f"/api/v1/tickets/{ticket.id}"
    return await _with_etag(ticket, request, response)


async def create_ticket_lean(
    body: TicketIn,
    caller: Annotated[Caller, Depends(limited_caller)],
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """``create_ticket`` for its hoisted copy (``hot_routes.LEAN``): the rate limits and the
    caller in one dependency, the answer written straight from the protobuf — the same
    status, headers in the same order, the same bytes."""
    ticket = await _create(body, request, idempotency_key)
    answer = Response(
        ticket_json(ticket, await names(request, people(ticket))),
        status_code=201,
        media_type="application/json",
    )
    answer.headers.raw.extend(
        [(b"location", f"/api/v1/tickets/{ticket.id}".encode()), (b"etag", etag(ticket).encode())]
    )
    return answer


async def _create(body: TicketIn, request: Request, idempotency_key: str | None) -> t_pb.Ticket:
    deadline = to_timestamp(body.deadline) if body.deadline is not None else None
    return await clients(request).tickets.CreateTicket(
        t_pb.CreateTicketRequest(
            subject=body.subject or "",
            subject_id=body.subject_id or 0,
            body=body.body,
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            client_id=body.client_id or 0,
            idempotency_key=idempotency_key or "",
            source=body.source,
            deadline=deadline,
            custom_fields_json=orjson.dumps(body.custom_fields).decode() if body.custom_fields else "",
        )
    )


@router.get("/tickets")
async def list_tickets(
    caller: CallerDep,
    request: Request,
    filters: TicketFiltersDep,
    sort: Annotated[
        Literal["-id", "id", "-updated_at", "updated_at"] | None,
        Query(description="-id unless given; with updated_since only updated_at"),
    ] = None,
    updated_since: Annotated[
        AwareDatetime | None,
        Query(
            description="the change feed: tickets updated since then (every box, archived ones too), in"
            " the order their changes committed; its next_cursor is always given (docs/api.md)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, pattern=LINE)] = None,
) -> TicketList:
    resp = await clients(request).tickets.ListTickets(
        filters.request(
            sort=sort or "",  # tickets: -id for a list, the order of changes for the feed
            limit=limit,
            cursor=cursor or "",
            updated_since=to_timestamp(updated_since) if updated_since is not None else None,
        )
    )
    all_names = await names(request, [i for t in resp.tickets for i in people(t)])
    clocks = await clocks_of(request, [t.id for t in resp.tickets])
    return TicketList.of(
        items=[Ticket.from_pb(t, all_names, clocks.get(t.id)) for t in resp.tickets],
        next_cursor=resp.next_cursor or None,
        names=all_names,
    )


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: IdPath, caller: CallerDep, request: Request, response: Response) -> Ticket:
    ticket = await clients(request).tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=ticket_id))
    response.headers["ETag"] = etag(ticket)
    clocks = await clocks_of(request, [ticket.id])
    return Ticket.from_pb(ticket, await names(request, people(ticket)), clocks.get(ticket.id))


@router.patch("/tickets/{ticket_id}")
async def edit_ticket(
    ticket_id: IdPath,
    body: TicketPatch,
    caller: CallerDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> Ticket:
    ticket = await clients(request).tickets.EditTicket(
        t_pb.EditTicketRequest(
            ticket_id=ticket_id,
            subject=body.subject,
            subject_id=body.subject_id,
            body=body.body,
            priority=PRIORITY_PB[body.priority] if body.priority else t_pb.PRIORITY_UNSPECIFIED,
            expected_version=expected_version(if_match),
            custom_fields_json=orjson.dumps(body.custom_fields).decode() if body.custom_fields else "",
            deadline=to_timestamp(body.deadline) if body.deadline is not None else None,
            clear_deadline="deadline" in body.model_fields_set and body.deadline is None,
        )
    )
    return await _with_etag(ticket, request, response)


@router.delete("/tickets/{ticket_id}", status_code=204)
async def delete_ticket(ticket_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteTicket(t_pb.DeleteTicketRequest(ticket_id=ticket_id))


async def _transition(
    action: str, ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: str | None
) -> Ticket:
    ticket = await clients(request).tickets.Transition(
        t_pb.TransitionRequest(
            ticket_id=ticket_id,
            action=action,
            expected_version=expected_version(if_match),
        )
    )
    return await _with_etag(ticket, request, response)


@router.post("/tickets/{ticket_id}/lock")
async def lock(
    ticket_id: IdPath, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> Ticket:
    return await _transition("lock", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/unlock")
async def unlock(
    ticket_id: IdPath, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> Ticket:
    return await _transition("unlock", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/complete")
async def complete(
    ticket_id: IdPath, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> Ticket:
    return await _transition("complete", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/reopen")
async def reopen(
    ticket_id: IdPath, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> Ticket:
    return await _transition("reopen", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/forward")
async def forward(
    ticket_id: IdPath,
    body: ForwardIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> Ticket:
    ticket = await clients(request).tickets.ForwardTicket(
        t_pb.ForwardTicketRequest(
            ticket_id=ticket_id,
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            note=body.note,
            expected_version=expected_version(if_match),
        )
    )
    return await _with_etag(ticket, request, response)


@router.get("/tickets/{ticket_id}/history")
async def history(
    ticket_id: IdPath,
    caller: CallerDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100, pattern=LINE)] = None,
) -> HistoryPage:
    resp = await clients(request).tickets.GetHistory(
        t_pb.TicketRequest(ticket_id=ticket_id, limit=limit, cursor=cursor or "")
    )
    return HistoryPage.of(
        items=[HistoryEntry.from_pb(e) for e in resp.entries],
        next_cursor=resp.next_cursor or None,
        names=await names(request, [e.actor_id for e in resp.entries]),
    )


@router.get("/tickets/{ticket_id}/comments")
async def list_comments(ticket_id: IdPath, caller: CallerDep, request: Request) -> CommentList:
    resp = await clients(request).tickets.ListComments(t_pb.TicketRequest(ticket_id=ticket_id))
    return CommentList.of(
        items=[Comment.from_pb(c) for c in resp.comments],
        next_cursor=None,
        names=await names(request, [c.author_id for c in resp.comments]),
    )


@router.post("/tickets/{ticket_id}/comments", status_code=201)
async def add_comment(ticket_id: IdPath, body: CommentIn, caller: CallerDep, request: Request) -> Comment:
    c = await clients(request).tickets.AddComment(
        t_pb.AddCommentRequest(
            ticket_id=ticket_id, body=body.body, attachment_ids=body.attachment_ids, internal=body.internal
        )
    )
    return Comment.from_pb(c)
