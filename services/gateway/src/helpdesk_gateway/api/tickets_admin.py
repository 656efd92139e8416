"""REST for the tickets service's set-up: subjects, the ``tickets`` settings, recurring tickets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import Request
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.models.tickets import (
    PRIORITY_PB,
    Priority,
    RecurringCreated,
    RecurringList,
    RecurringTicket,
    Subject,
    SubjectList,
    TicketSettings,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients, ts
from helpdesk_gateway.api.values import Id, IdPath, line, text
from helpdesk_gateway.auth import CallerDep

router = api_router()
MimeType = Annotated[
    str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+*-]+$")
]


class SubjectIn(Strict):
    name: str = line(255, min_length=1)
    sla_plan_id: Id | None = None


class SubjectPatch(Strict):
    name: str | None = line(255, min_length=1, default=None)
    sla_plan_id: Id | None = None  # explicit null = no plan


class RecurringPatch(Strict):
    active: bool


class TicketSettingsIn(Strict):
    days_to_archive: int = Field(default=3, ge=1, le=3650)
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=1024**3)
    allowed_types: list[MimeType] = Field(
        default_factory=lambda: ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"],
        max_length=200,
    )
    free_text_subjects: bool = True
    # roles whose new comments are internal notes unless they say otherwise
    internal_by_default: list[Literal["department_head", "unit_head", "unit_member"]] = Field(
        default_factory=list, max_length=3
    )
    client_reopen: bool = True  # a client's comment on his done ticket reopens it ...
    client_reopen_days: int = Field(default=7, ge=0, le=3650)  # ... within so many days
    unit_sla_plans: dict[Annotated[str, Field(max_length=20, pattern=r"^[0-9]+$")], Id] = Field(
        default_factory=dict, max_length=10_000
    )  # {"<unit id>": plan id}: the plan of a ticket whose subject names none


@router.get("/subjects")
async def list_subjects(caller: CallerDep, request: Request) -> SubjectList:
    resp = await clients(request).tickets.ListSubjects(t_pb.ListSubjectsRequest())
    return SubjectList.of(items=[Subject.from_pb(s) for s in resp.subjects], next_cursor=None)


@router.post("/subjects", status_code=201)
async def create_subject(body: SubjectIn, caller: CallerDep, request: Request) -> Subject:
    s = await clients(request).tickets.CreateSubject(
        t_pb.CreateSubjectRequest(name=body.name, sla_plan_id=body.sla_plan_id or 0)
    )
    return Subject.from_pb(s)


@router.patch("/subjects/{subject_id}")
async def update_subject(
    subject_id: IdPath, body: SubjectPatch, caller: CallerDep, request: Request
) -> Subject:
    req = t_pb.UpdateSubjectRequest(id=subject_id)
    if body.name is not None:
        req.name = body.name
    if "sla_plan_id" in body.model_fields_set:
        req.sla_plan_id = body.sla_plan_id or 0
    return Subject.from_pb(await clients(request).tickets.UpdateSubject(req))


@router.delete("/subjects/{subject_id}", status_code=204)
async def delete_subject(subject_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteSubject(t_pb.SubjectRequest(id=subject_id))


@router.get("/settings/tickets")
async def get_ticket_settings(caller: CallerDep, request: Request) -> TicketSettings:
    resp = await clients(request).tickets.GetSettings(t_pb.SettingsRequest())
    value: dict[str, Any] = orjson.loads(resp.value_json)
    return TicketSettings.of(**value)


@router.put("/settings/tickets")
async def put_ticket_settings(body: TicketSettingsIn, caller: CallerDep, request: Request) -> TicketSettings:
    resp = await clients(request).tickets.PutSettings(
        t_pb.SettingsRequest(value_json=orjson.dumps(body.model_dump()).decode())
    )
    value: dict[str, Any] = orjson.loads(resp.value_json)
    return TicketSettings.of(**value)


class RecurringIn(Strict):
    subject: str = line(255, min_length=1)
    body: str = text(100_000, default="")
    priority: Priority = "normal"
    unit_id: Id
    assignee_ids: list[Id] = Field(default_factory=list, max_length=100)
    client_id: Id | None = None
    kind: Literal["daily", "weekly", "monthly"]
    at: dt.time
    start: dt.date
    end: dt.date | None = None
    every_days: int = Field(default=1, ge=1, le=366)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=list, max_length=7)
    month_days: list[Annotated[int, Field(ge=1, le=31)]] = Field(default_factory=list, max_length=31)
    time_zone: str = line(64, default="UTC")


@router.post("/recurring-tickets", status_code=201)
async def create_recurring(body: RecurringIn, caller: CallerDep, request: Request) -> RecurringCreated:
    resp = await clients(request).tickets.CreateRecurring(
        t_pb.CreateRecurringRequest(
            subject=body.subject,
            body=body.body,
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            client_id=body.client_id or 0,
            kind=body.kind,
            at=body.at.strftime("%H:%M"),
            start=body.start.isoformat(),
            end=body.end.isoformat() if body.end else "",
            every_days=body.every_days,
            weekdays=body.weekdays,
            month_days=body.month_days,
            time_zone=body.time_zone,
        )
    )
    return RecurringCreated.of(id=resp.id, next_run_at=ts(resp.next_run_at))


@router.get("/recurring-tickets")
async def list_recurring(caller: CallerDep, request: Request) -> RecurringList:
    resp = await clients(request).tickets.ListRecurring(t_pb.ListRecurringRequest())
    return RecurringList.of(items=[RecurringTicket.from_pb(r) for r in resp.items], next_cursor=None)


@router.patch("/recurring-tickets/{recurring_id}")
async def update_recurring(
    recurring_id: IdPath, body: RecurringPatch, caller: CallerDep, request: Request
) -> RecurringTicket:
    r = await clients(request).tickets.UpdateRecurring(
        t_pb.UpdateRecurringRequest(id=recurring_id, active=body.active)
    )
    return RecurringTicket.from_pb(r)


@router.delete("/recurring-tickets/{recurring_id}", status_code=204)
async def delete_recurring(recurring_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteRecurring(t_pb.RecurringRequest(id=recurring_id))
