"""REST for what agents use all day: the settings every page reads, canned responses,
saved list views, bulk actions and a list's total. HTTP ⇄ gRPC only; tickets decides who
may do what (docs/product/tickets.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import BaseModel, Field

from helpdesk_gateway.api.shapes import Strict, clients
from helpdesk_gateway.auth import CallerDep

router = APIRouter(default_response_class=ORJSONResponse)

PRIORITY_PB = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
Id = Annotated[int, Field(gt=0, lt=2**63)]


class TicketSettingsOut(BaseModel):
    max_file_bytes: int
    allowed_types: list[str]
    allowed_extensions: list[str]
    internal_by_default: bool
    client_reopen: bool
    client_reopen_days: int


@router.get("/ticket-settings", response_model=TicketSettingsOut)
async def ticket_settings(caller: CallerDep, request: Request) -> TicketSettingsOut:
    """File limits, whether the caller's new comments are internal by default, and whether
    clients reopen a done ticket by commenting."""
    s = await clients(request).tickets.GetPublicSettings(t_pb.Nothing())
    return TicketSettingsOut(
        max_file_bytes=s.max_file_bytes,
        allowed_types=list(s.allowed_types),
        allowed_extensions=list(s.allowed_extensions),
        internal_by_default=s.internal_by_default,
        client_reopen=s.client_reopen,
        client_reopen_days=s.client_reopen_days,
    )


class CannedIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)
    unit_id: Id | None = None  # shared with this unit (its heads, admins); none = personal


class CannedPatch(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)


class CannedOut(BaseModel):
    id: int
    owner_id: int | None
    unit_id: int | None
    title: str
    body: str


class CannedPage(BaseModel):
    items: list[CannedOut]
    next_cursor: None = None


def _canned(c: t_pb.CannedResponse) -> CannedOut:
    return CannedOut(
        id=c.id, owner_id=c.owner_id or None, unit_id=c.unit_id or None, title=c.title, body=c.body
    )


@router.get("/canned-responses", response_model=CannedPage)
async def list_canned(caller: CallerDep, request: Request) -> CannedPage:
    resp = await clients(request).tickets.ListCanned(t_pb.Nothing())
    return CannedPage(items=[_canned(c) for c in resp.items])


@router.post("/canned-responses", response_model=CannedOut, status_code=201)
async def create_canned(body: CannedIn, caller: CallerDep, request: Request) -> CannedOut:
    made = await clients(request).tickets.CreateCanned(
        t_pb.CannedRequest(title=body.title, body=body.body, unit_id=body.unit_id or 0)
    )
    return _canned(made)


@router.patch("/canned-responses/{canned_id}", response_model=CannedOut)
async def update_canned(canned_id: int, body: CannedPatch, caller: CallerDep, request: Request) -> CannedOut:
    saved = await clients(request).tickets.UpdateCanned(
        t_pb.CannedRequest(id=canned_id, title=body.title, body=body.body)
    )
    return _canned(saved)


@router.delete("/canned-responses/{canned_id}", status_code=204, response_class=Response)
async def delete_canned(canned_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteCanned(t_pb.CannedRequest(id=canned_id))
    return Response(status_code=204)


class ViewIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=2000)  # the list's query: box=inbox&state=new
    unit_id: Id | None = None


class ViewOut(BaseModel):
    id: int
    owner_id: int
    unit_id: int | None
    name: str
    query: str


class ViewPage(BaseModel):
    items: list[ViewOut]
    next_cursor: None = None


def _view(v: t_pb.SavedView) -> ViewOut:
    return ViewOut(id=v.id, owner_id=v.owner_id, unit_id=v.unit_id or None, name=v.name, query=v.query)


@router.get("/saved-views", response_model=ViewPage)
async def list_views(caller: CallerDep, request: Request) -> ViewPage:
    resp = await clients(request).tickets.ListSavedViews(t_pb.Nothing())
    return ViewPage(items=[_view(v) for v in resp.items])


@router.post("/saved-views", response_model=ViewOut, status_code=201)
async def create_view(body: ViewIn, caller: CallerDep, request: Request) -> ViewOut:
    made = await clients(request).tickets.CreateSavedView(
        t_pb.SavedViewRequest(name=body.name, query=body.query, unit_id=body.unit_id or 0)
    )
    return _view(made)


@router.delete("/saved-views/{view_id}", status_code=204, response_class=Response)
async def delete_view(view_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteSavedView(t_pb.SavedViewRequest(id=view_id))
    return Response(status_code=204)


class BulkIn(Strict):
    action: Literal["lock", "unlock", "complete", "forward", "priority"]
    ticket_ids: list[Id] = Field(min_length=1, max_length=200)
    priority: Literal["low", "normal", "high"] | None = None  # action "priority"
    unit_id: Id | None = None  # action "forward"
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)


class Refused(BaseModel):
    ticket_id: int
    code: str  # the stable code of the refusal: not_found, forbidden, conflict...
    detail: str


class BulkOut(BaseModel):
    done: list[int]
    refused: list[Refused]


@router.post("/tickets/bulk", response_model=BulkOut)
async def bulk(body: BulkIn, caller: CallerDep, request: Request) -> BulkOut:
    """One action on many tickets, each checked on its own: what was done, what was refused."""
    resp = await clients(request).tickets.Bulk(
        t_pb.BulkRequest(
            action=body.action,
            ticket_ids=body.ticket_ids,
            priority=PRIORITY_PB[body.priority] if body.priority else t_pb.PRIORITY_UNSPECIFIED,
            unit_id=body.unit_id or 0,
            assignee_ids=body.assignee_ids,
        )
    )
    return BulkOut(
        done=list(resp.done),
        refused=[Refused(ticket_id=r.ticket_id, code=r.code, detail=r.detail) for r in resp.refused],
    )


class TotalOut(BaseModel):
    total: int
    is_capped: bool  # there are more than ``total`` (the count stops there)


def _split(values: list[str] | None) -> list[str]:
    return [v for value in values or [] for v in value.split(",") if v]


@router.get("/tickets/total", response_model=TotalOut)
async def total(
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
) -> TotalOut:
    """How many tickets the list with these filters holds (counted up to 10,000)."""
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
            limit=1,
            with_total=True,
        )
    )
    return TotalOut(total=resp.total, is_capped=resp.total_is_capped)
