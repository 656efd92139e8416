"""REST for the tickets service's set-up: subjects, the ``tickets`` settings, recurring tickets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.auth import CallerDep

router = APIRouter(default_response_class=ORJSONResponse)


class SubjectIn(Strict):
    name: str = Field(min_length=1, max_length=255)
    sla_plan_id: int | None = Field(default=None, gt=0)


class SubjectPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    sla_plan_id: int | None = Field(default=None, gt=0)  # explicit null = no plan


class RecurringPatch(Strict):
    active: bool


class TicketSettingsIn(Strict):
    days_to_archive: int = Field(default=3, ge=1, le=3650)
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=1024**3)
    allowed_types: list[str] = Field(
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
    unit_sla_plans: dict[str, Annotated[int, Field(gt=0, lt=2**63)]] = Field(
        default_factory=dict, max_length=10_000
    )  # {"<unit id>": plan id}: the plan of a ticket whose subject names none


def subject_out(s: t_pb.Subject) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "sla_plan_id": s.sla_plan_id or None}


@router.get("/subjects", response_model=None)
async def list_subjects(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.ListSubjects(t_pb.ListSubjectsRequest())
    return page([subject_out(s) for s in resp.subjects])


@router.post("/subjects", response_model=None, status_code=201)
async def create_subject(body: SubjectIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    s = await clients(request).tickets.CreateSubject(
        t_pb.CreateSubjectRequest(name=body.name, sla_plan_id=body.sla_plan_id or 0)
    )
    return subject_out(s)


@router.patch("/subjects/{subject_id}", response_model=None)
async def update_subject(
    subject_id: int, body: SubjectPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    req = t_pb.UpdateSubjectRequest(id=subject_id)
    if body.name is not None:
        req.name = body.name
    if "sla_plan_id" in body.model_fields_set:
        req.sla_plan_id = body.sla_plan_id or 0
    return subject_out(await clients(request).tickets.UpdateSubject(req))


@router.delete("/subjects/{subject_id}", response_model=None, status_code=204)
async def delete_subject(subject_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteSubject(t_pb.SubjectRequest(id=subject_id))
    return Response(status_code=204)


@router.get("/settings/tickets", response_model=None)
async def get_ticket_settings(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.GetSettings(t_pb.SettingsRequest())
    value: dict[str, Any] = orjson.loads(resp.value_json)
    return value


@router.put("/settings/tickets", response_model=None)
async def put_ticket_settings(body: TicketSettingsIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.PutSettings(
        t_pb.SettingsRequest(value_json=orjson.dumps(body.model_dump()).decode())
    )
    value: dict[str, Any] = orjson.loads(resp.value_json)
    return value


class RecurringIn(Strict):
    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(default="", max_length=100_000)
    priority: Literal["low", "normal", "high"] = "normal"
    unit_id: int = Field(gt=0)
    assignee_ids: list[int] = Field(default_factory=list, max_length=100)
    client_id: int | None = Field(default=None, gt=0)
    kind: Literal["daily", "weekly", "monthly"]
    at: dt.time
    start: dt.date
    end: dt.date | None = None
    every_days: int = Field(default=1, ge=1, le=366)
    weekdays: list[int] = Field(default_factory=list, max_length=7)
    month_days: list[int] = Field(default_factory=list, max_length=31)
    time_zone: str = Field(default="UTC", max_length=64)


@router.post("/recurring-tickets", response_model=None, status_code=201)
async def create_recurring(body: RecurringIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.CreateRecurring(
        t_pb.CreateRecurringRequest(
            subject=body.subject,
            body=body.body,
            priority={"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}[
                body.priority
            ],
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
    return {"id": resp.id, "next_run_at": ts(resp.next_run_at)}


def recurring_out(r: t_pb.RecurringTicket) -> dict[str, Any]:
    """The template and schedule both nested and flattened (``subject``, ``kind``, ``at`` ...
    at the top level, as the create body has them); ``at`` as HH:MM."""
    template: dict[str, Any] = orjson.loads(r.template_json or "{}")
    schedule: dict[str, Any] = orjson.loads(r.schedule_json or "{}")
    if isinstance(schedule.get("at"), str):
        schedule["at"] = schedule["at"][:5]
    return {
        **template,
        **schedule,
        "id": r.id,
        "author_id": r.author_id,
        "template": template,
        "schedule": schedule,
        "next_run_at": ts(r.next_run_at),
        "active": r.active,
        "created_at": ts(r.created_at),
    }


@router.get("/recurring-tickets", response_model=None)
async def list_recurring(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.ListRecurring(t_pb.ListRecurringRequest())
    return page([recurring_out(r) for r in resp.items])


@router.patch("/recurring-tickets/{recurring_id}", response_model=None)
async def update_recurring(
    recurring_id: int, body: RecurringPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    r = await clients(request).tickets.UpdateRecurring(
        t_pb.UpdateRecurringRequest(id=recurring_id, active=body.active)
    )
    return recurring_out(r)


@router.delete("/recurring-tickets/{recurring_id}", response_model=None, status_code=204)
async def delete_recurring(recurring_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteRecurring(t_pb.RecurringRequest(id=recurring_id))
    return Response(status_code=204)
