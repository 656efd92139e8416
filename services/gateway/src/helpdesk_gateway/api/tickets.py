"""REST for tickets (docs/api-conventions.md): HTTP ⇄ gRPC, nothing more; the rules live in tickets.

A ticket's ``ETag`` is its version (``"v7"``); ``If-Match`` on PATCH and on the
transitions makes a change conditional (412 when stale).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import AwareDatetime, Field

from helpdesk_gateway.api import tickets_admin, tickets_desk, tickets_fields, tickets_files
from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.api.tickets_names import names, subset
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.timestamps import to_timestamp

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)
# Included first: "/tickets/counters" and "/tickets/total" must match before "/tickets/{ticket_id}".
router.include_router(tickets_desk.router)
router.include_router(tickets_fields.router)
router.include_router(tickets_admin.router)
router.include_router(tickets_files.router)

PRIORITY_PB = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
PRIORITY_NAME = {v: k for k, v in PRIORITY_PB.items()}
STATE_NAME = {
    t_pb.STATE_NEW: "new",
    t_pb.STATE_IN_WORK: "in_work",
    t_pb.STATE_DONE: "done",
    t_pb.STATE_ARCHIVED: "archived",
}
IfMatch = Annotated[str | None, Header(max_length=100)]


class TicketIn(Strict):
    subject: str | None = Field(default=None, min_length=1, max_length=255)
    subject_id: int | None = Field(default=None, gt=0)
    body: str = Field(default="", max_length=100_000)
    priority: Literal["low", "normal", "high"] = "normal"
    unit_id: int = Field(gt=0)
    assignee_ids: list[int] = Field(default_factory=list, max_length=100)
    client_id: int | None = Field(default=None, gt=0)
    deadline: AwareDatetime | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict, max_length=200)


class TicketPatch(Strict):
    subject: str | None = Field(default=None, min_length=1, max_length=255)
    subject_id: int | None = Field(default=None, gt=0)
    body: str | None = Field(default=None, max_length=100_000)
    priority: Literal["low", "normal", "high"] | None = None
    custom_fields: dict[str, Any] | None = Field(default=None, max_length=200)  # value null = clear
    deadline: AwareDatetime | None = None  # explicit null = no deadline any more


class ForwardIn(Strict):
    unit_id: int = Field(gt=0)
    assignee_ids: list[int] = Field(default_factory=list, max_length=100)
    note: str = Field(default="", max_length=50_000)


class CommentIn(Strict):
    body: str = Field(default="", max_length=50_000)  # may be empty when files are attached
    attachment_ids: list[Annotated[int, Field(gt=0, lt=2**63)]] = Field(default_factory=list, max_length=20)
    internal: bool | None = None  # a staff note; unset: the default of the caller's role


def _people(t: t_pb.Ticket) -> list[int]:
    return [t.author_id, t.client_id, *t.assignee_ids, t.locked_by, t.done_by]


def ticket_out(t: t_pb.Ticket, all_names: dict[str, str] | None = None) -> dict[str, Any]:
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
        "sla_plan_id": t.sla_plan_id or None,
        "sla_state": t.sla_state or None,
        "version": t.version,
        "created_at": ts(t.created_at),
        "updated_at": ts(t.updated_at),
        "allowed_actions": list(t.allowed_actions),
        "custom_fields": orjson.loads(t.custom_fields_json or "{}"),
        "names": subset(all_names or {}, _people(t)),
        **({"body_html": t.body_html} if t.body_html else {}),  # one ticket only
    }


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


async def _with_etag(t: t_pb.Ticket, request: Request, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(t)
    return ticket_out(t, await names(request, _people(t)))


def _split(values: list[str] | None) -> list[str]:
    return [v for value in values or [] for v in value.split(",") if v]


@router.post("/tickets", response_model=None, status_code=201)
async def create_ticket(
    body: TicketIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    deadline = to_timestamp(body.deadline) if body.deadline is not None else None
    ticket = await clients(request).tickets.CreateTicket(
        t_pb.CreateTicketRequest(
            subject=body.subject or "",
            subject_id=body.subject_id or 0,
            body=body.body,
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            client_id=body.client_id or 0,
            idempotency_key=idempotency_key or "",
            source="api",
            deadline=deadline,
            custom_fields_json=orjson.dumps(body.custom_fields).decode() if body.custom_fields else "",
        )
    )
    response.headers["Location"] = f"/api/v1/tickets/{ticket.id}"
    return await _with_etag(ticket, request, response)


@router.get("/tickets", response_model=None)
async def list_tickets(
    caller: CallerDep,
    request: Request,
    box: Literal["inbox", "outbox", "archive"] = "inbox",
    state: Annotated[list[str] | None, Query(max_length=100)] = None,
    priority: Annotated[list[str] | None, Query(max_length=100)] = None,
    unit_id: Annotated[int | None, Query(gt=0)] = None,
    assignee_id: Annotated[int | None, Query(gt=0)] = None,
    locked: Literal["me", "others"] | None = None,
    sla_state: Annotated[list[str] | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    sort: Literal["-id", "id", "-updated_at", "updated_at"] = "-id",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    resp = await clients(request).tickets.ListTickets(
        t_pb.ListTicketsRequest(
            box=box,
            states=_split(state),
            priorities=_split(priority),
            unit_id=unit_id or 0,
            assignee_id=assignee_id or 0,
            locked=locked or "",
            sla_states=_split(sla_state),
            q=q or "",
            sort=sort,
            limit=limit,
            cursor=cursor or "",
        )
    )
    all_names = await names(request, [i for t in resp.tickets for i in _people(t)])
    out = page([ticket_out(t, all_names) for t in resp.tickets], resp.next_cursor or None)
    out["names"] = all_names
    return out


@router.get("/tickets/{ticket_id}", response_model=None)
async def get_ticket(
    ticket_id: int, caller: CallerDep, request: Request, response: Response
) -> dict[str, Any]:
    ticket = await clients(request).tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=ticket_id))
    return await _with_etag(ticket, request, response)


@router.patch("/tickets/{ticket_id}", response_model=None)
async def edit_ticket(
    ticket_id: int,
    body: TicketPatch,
    caller: CallerDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
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


@router.delete("/tickets/{ticket_id}", response_model=None, status_code=204)
async def delete_ticket(ticket_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteTicket(t_pb.DeleteTicketRequest(ticket_id=ticket_id))
    return Response(status_code=204)


async def _transition(
    action: str, ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: str | None
) -> dict[str, Any]:
    ticket = await clients(request).tickets.Transition(
        t_pb.TransitionRequest(
            ticket_id=ticket_id,
            action=action,
            expected_version=expected_version(if_match),
        )
    )
    return await _with_etag(ticket, request, response)


@router.post("/tickets/{ticket_id}/lock", response_model=None)
async def lock(
    ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    return await _transition("lock", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/unlock", response_model=None)
async def unlock(
    ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    return await _transition("unlock", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/complete", response_model=None)
async def complete(
    ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    return await _transition("complete", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/reopen", response_model=None)
async def reopen(
    ticket_id: int, caller: CallerDep, request: Request, response: Response, if_match: IfMatch = None
) -> dict[str, Any]:
    return await _transition("reopen", ticket_id, caller, request, response, if_match)


@router.post("/tickets/{ticket_id}/forward", response_model=None)
async def forward(
    ticket_id: int,
    body: ForwardIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
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


@router.get("/tickets/{ticket_id}/history", response_model=None)
async def history(
    ticket_id: int,
    caller: CallerDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    resp = await clients(request).tickets.GetHistory(
        t_pb.TicketRequest(ticket_id=ticket_id, limit=limit, cursor=cursor or "")
    )
    items = [
        {
            "id": e.id,
            "at": ts(e.at),
            "actor_id": e.actor_id or None,
            "action": e.action,
            "changes": orjson.loads(e.changes_json or "{}"),
        }
        for e in resp.entries
    ]
    out = page(items, resp.next_cursor or None)
    out["names"] = await names(request, [e.actor_id for e in resp.entries])
    return out


def comment_out(c: t_pb.Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "ticket_id": c.ticket_id,
        "author_id": c.author_id,
        "body": c.body,
        "html": c.html,
        "created_at": ts(c.created_at),
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in c.attachments
        ],
        "attachment_ids": [a.id for a in c.attachments],
        "internal": c.internal,
    }


@router.get("/tickets/{ticket_id}/comments", response_model=None)
async def list_comments(ticket_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.ListComments(t_pb.TicketRequest(ticket_id=ticket_id))
    out = page([comment_out(c) for c in resp.comments])
    out["names"] = await names(request, [c.author_id for c in resp.comments])
    return out


@router.post("/tickets/{ticket_id}/comments", response_model=None, status_code=201)
async def add_comment(ticket_id: int, body: CommentIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    c = await clients(request).tickets.AddComment(
        t_pb.AddCommentRequest(
            ticket_id=ticket_id, body=body.body, attachment_ids=body.attachment_ids, internal=body.internal
        )
    )
    return comment_out(c)
