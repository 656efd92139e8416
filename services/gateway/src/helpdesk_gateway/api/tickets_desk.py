"""REST for what agents use all day: the settings every page reads, canned responses,
saved list views, bulk actions and a list's total. HTTP ⇄ gRPC only; tickets decides who
may do what (docs/product/tickets.md)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.models.desk import (
    BulkResult,
    CannedResponse,
    CannedResponseList,
    PublicTicketSettings,
    SavedView,
    SavedViewList,
    TicketTotal,
)
from helpdesk_gateway.api.models.tickets import PRIORITY_PB, Priority
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.ticket_filters import TicketFiltersDep
from helpdesk_gateway.api.values import Id, IdPath, line, text
from helpdesk_gateway.auth import CallerDep

router = api_router()


@router.get("/ticket-settings")
async def ticket_settings(caller: CallerDep, request: Request) -> PublicTicketSettings:
    """File limits, whether the caller's new comments are internal by default, and whether
    clients reopen a done ticket by commenting."""
    s = await clients(request).tickets.GetPublicSettings(t_pb.Nothing())
    return PublicTicketSettings.from_pb(s)


class CannedIn(Strict):
    title: str = line(200, min_length=1)
    body: str = text(50_000, min_length=1)
    unit_id: Id | None = None  # shared with this unit (its heads, admins); none = personal


class CannedPatch(Strict):
    title: str = line(200, min_length=1)
    body: str = text(50_000, min_length=1)


@router.get("/canned-responses")
async def list_canned(caller: CallerDep, request: Request) -> CannedResponseList:
    resp = await clients(request).tickets.ListCanned(t_pb.Nothing())
    return CannedResponseList.of(items=[CannedResponse.from_pb(c) for c in resp.items], next_cursor=None)


@router.post("/canned-responses", status_code=201)
async def create_canned(body: CannedIn, caller: CallerDep, request: Request) -> CannedResponse:
    made = await clients(request).tickets.CreateCanned(
        t_pb.CannedRequest(title=body.title, body=body.body, unit_id=body.unit_id or 0)
    )
    return CannedResponse.from_pb(made)


@router.patch("/canned-responses/{canned_id}")
async def update_canned(
    canned_id: IdPath, body: CannedPatch, caller: CallerDep, request: Request
) -> CannedResponse:
    saved = await clients(request).tickets.UpdateCanned(
        t_pb.CannedRequest(id=canned_id, title=body.title, body=body.body)
    )
    return CannedResponse.from_pb(saved)


@router.delete("/canned-responses/{canned_id}", status_code=204)
async def delete_canned(canned_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteCanned(t_pb.CannedRequest(id=canned_id))


class ViewIn(Strict):
    name: str = line(200, min_length=1)
    query: str = line(2000, min_length=1)  # the list's query: box=inbox&state=new
    unit_id: Id | None = None


@router.get("/saved-views")
async def list_views(caller: CallerDep, request: Request) -> SavedViewList:
    resp = await clients(request).tickets.ListSavedViews(t_pb.Nothing())
    return SavedViewList.of(items=[SavedView.from_pb(v) for v in resp.items], next_cursor=None)


@router.post("/saved-views", status_code=201)
async def create_view(body: ViewIn, caller: CallerDep, request: Request) -> SavedView:
    made = await clients(request).tickets.CreateSavedView(
        t_pb.SavedViewRequest(name=body.name, query=body.query, unit_id=body.unit_id or 0)
    )
    return SavedView.from_pb(made)


@router.delete("/saved-views/{view_id}", status_code=204)
async def delete_view(view_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteSavedView(t_pb.SavedViewRequest(id=view_id))


class BulkIn(Strict):
    action: Literal["lock", "unlock", "complete", "forward", "priority"]
    ticket_ids: list[Id] = Field(min_length=1, max_length=200)
    priority: Priority | None = None  # action "priority"
    unit_id: Id | None = None  # action "forward"
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)


@router.post("/tickets/bulk")
async def bulk(body: BulkIn, caller: CallerDep, request: Request) -> BulkResult:
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
    return BulkResult.from_pb(resp)


@router.get("/tickets/total")
async def total(caller: CallerDep, request: Request, filters: TicketFiltersDep) -> TicketTotal:
    """How many tickets the list with these filters holds (counted up to 10,000)."""
    resp = await clients(request).tickets.ListTickets(filters.request(limit=1, with_total=True))
    return TicketTotal.of(total=resp.total, is_capped=resp.total_is_capped)
