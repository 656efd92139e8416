"""REST for sla (docs/product/sla.md): sla-plans, calendars, a ticket's clocks, the SLA report.

Handlers translate HTTP ⇄ gRPC; the sla service checks who may do what. A
ticket's clocks are shown only to whom the tickets service shows the ticket.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from helpdesk.sla.v1 import sla_pb2 as pb
from helpdesk.sla.v1 import sla_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import AwareDatetime, Field, field_validator

from helpdesk_gateway.api.shapes import Strict, clients, ts
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.timestamps import to_timestamp

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)

PRIORITIES = ("low", "normal", "high")
KINDS = ("reaction", "work", "deadline")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATE_NAME = {
    pb.CLOCK_STATE_OFF: "off",
    pb.CLOCK_STATE_OK: "ok",
    pb.CLOCK_STATE_WARNING: "warning",
    pb.CLOCK_STATE_BREACHED: "breached",
    pb.CLOCK_STATE_MET: "met",
    pb.CLOCK_STATE_PENDING: "pending",
}
KIND_NAME = {
    pb.CLOCK_KIND_REACTION: "reaction",
    pb.CLOCK_KIND_WORK: "work",
    pb.CLOCK_KIND_DEADLINE: "deadline",
}
MAX_LIMIT = 10 * 366 * 86_400
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def sla(request: Request) -> sla_pb2_grpc.SlaAsyncStub:
    stub: sla_pb2_grpc.SlaAsyncStub = sla_pb2_grpc.SlaStub(clients(request).channels["sla"])
    return stub


# -- plans ----------------------------------------------------------------------------------


class Duration(Strict):
    """A limit as the UI enters it."""

    days: int = Field(default=0, ge=0, le=3660)
    hours: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)
    seconds: int = Field(default=0, ge=0)

    def total(self) -> int:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60 + self.seconds


Limit = Annotated[int, Field(gt=0, le=MAX_LIMIT)] | Duration | None


class LimitsIn(Strict):
    reaction: Limit = None
    work: Limit = None
    deadline: Limit = None

    def to_pb(self) -> pb.Limits:
        out = pb.Limits()
        for kind in KINDS:
            value = getattr(self, kind)
            if isinstance(value, Duration):
                value = value.total() or None
            if value is not None:
                setattr(out, kind, value)
        return out


class PlanLimitsIn(Strict):
    low: LimitsIn | None = None
    normal: LimitsIn | None = None
    high: LimitsIn | None = None

    def fill(self, msg: Any) -> None:
        for p in PRIORITIES:
            value = getattr(self, p)
            if value is not None:
                getattr(msg, p).CopyFrom(value.to_pb())


class PlanIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    calendar_id: int | None = Field(default=None, gt=0)
    limits: PlanLimitsIn = Field(default_factory=PlanLimitsIn)


class PlanPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    calendar_id: int | None = Field(default=None, ge=0)  # 0 or null in the body: no calendar
    limits: PlanLimitsIn | None = None


def _limits_out(msg: pb.Limits) -> dict[str, int | None]:
    return {k: getattr(msg, k) if msg.HasField(k) else None for k in KINDS}  # type: ignore[arg-type]


def plan_out(p: pb.Plan) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "calendar_id": p.calendar_id or None,
        "limits": {prio: _limits_out(getattr(p, prio)) for prio in PRIORITIES},
    }


@router.get("/sla-plans", response_model=None)
async def list_plans(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await sla(request).ListPlans(pb.ListPlansRequest())
    return {"items": [plan_out(p) for p in resp.plans], "next_cursor": None}


@router.post("/sla-plans", response_model=None, status_code=201)
async def create_plan(body: PlanIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    req = pb.CreatePlanRequest(name=body.name, calendar_id=body.calendar_id or 0)
    body.limits.fill(req)
    return plan_out(await sla(request).CreatePlan(req))


@router.get("/sla-plans/{plan_id}", response_model=None)
async def get_plan(plan_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    return plan_out(await sla(request).GetPlan(pb.GetPlanRequest(plan_id=plan_id)))


@router.patch("/sla-plans/{plan_id}", response_model=None)
async def update_plan(plan_id: int, body: PlanPatch, caller: CallerDep, request: Request) -> dict[str, Any]:
    req = pb.UpdatePlanRequest(plan_id=plan_id)
    if body.name is not None:
        req.name = body.name
    if "calendar_id" in body.model_fields_set:
        req.calendar_id = body.calendar_id or 0
    if body.limits is not None:
        body.limits.fill(req)
    return plan_out(await sla(request).UpdatePlan(req))


# -- calendars ------------------------------------------------------------------------------


def _seconds(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 3600 + int(m) * 60


Hours = dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[tuple[str, str]]]


def _check_hours(v: Hours | None) -> Hours | None:
    for intervals in (v or {}).values():
        if len(intervals) > 12:
            raise ValueError("at most 12 working intervals a day")
        for a, b in intervals:
            if not (_HHMM.match(a) and _HHMM.match(b)):
                raise ValueError("times are HH:MM (24:00 for midnight at the end)")
    return v


class CalendarIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(default="UTC", min_length=1, max_length=64)
    hours: Hours = Field(default_factory=dict)
    holidays: list[str | dict[str, str]] = Field(default_factory=list, max_length=1000)

    _times = field_validator("hours")(lambda v: _check_hours(v))


class CalendarPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)
    hours: Hours | None = None
    holidays: list[str | dict[str, str]] | None = Field(default=None, max_length=1000)

    _times = field_validator("hours")(lambda v: _check_hours(v))


def _hours_pb(hours: Hours) -> list[pb.WorkingInterval]:
    return [
        pb.WorkingInterval(weekday=WEEKDAYS.index(day), start_second=_seconds(a), end_second=_seconds(b))
        for day, intervals in hours.items()
        for a, b in intervals
    ]


def _holidays_pb(holidays: list[str | dict[str, str]]) -> list[pb.HolidayRange]:
    out = []
    for h in holidays:
        if isinstance(h, str):
            out.append(pb.HolidayRange(first=h, last=h))
        else:
            out.append(pb.HolidayRange(first=h.get("from", ""), last=h.get("to") or h.get("from", "")))
    return out


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def calendar_out(c: pb.Calendar) -> dict[str, Any]:
    hours: dict[str, list[list[str]]] = {}
    for iv in c.hours:
        hours.setdefault(WEEKDAYS[iv.weekday], []).append([_hhmm(iv.start_second), _hhmm(iv.end_second)])
    return {
        "id": c.id,
        "name": c.name,
        "time_zone": c.time_zone,
        "hours": hours,
        "holidays": [h.first if h.first == h.last else {"from": h.first, "to": h.last} for h in c.holidays],
    }


@router.get("/calendars", response_model=None)
async def list_calendars(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await sla(request).ListCalendars(pb.ListCalendarsRequest())
    return {"items": [calendar_out(c) for c in resp.calendars], "next_cursor": None}


@router.post("/calendars", response_model=None, status_code=201)
async def create_calendar(body: CalendarIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    req = pb.CreateCalendarRequest(
        name=body.name,
        time_zone=body.time_zone,
        hours=_hours_pb(body.hours),
        holidays=_holidays_pb(body.holidays),
    )
    return calendar_out(await sla(request).CreateCalendar(req))


@router.get("/calendars/{calendar_id}", response_model=None)
async def get_calendar(calendar_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    req = pb.GetCalendarRequest(calendar_id=calendar_id)
    return calendar_out(await sla(request).GetCalendar(req))


@router.patch("/calendars/{calendar_id}", response_model=None)
async def update_calendar(
    calendar_id: int, body: CalendarPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    req = pb.UpdateCalendarRequest(calendar_id=calendar_id)
    if body.name is not None:
        req.name = body.name
    if body.time_zone is not None:
        req.time_zone = body.time_zone
    if body.hours is not None:
        req.set_hours = True
        req.hours.extend(_hours_pb(body.hours))
    if body.holidays is not None:
        req.set_holidays = True
        req.holidays.extend(_holidays_pb(body.holidays))
    return calendar_out(await sla(request).UpdateCalendar(req))


# -- a ticket's clocks ---------------------------------------------------------------------


def clock_out(c: pb.Clock | None) -> dict[str, Any]:
    if c is None:
        return {
            "limit_seconds": None,
            "used_seconds": 0,
            "remaining_seconds": None,
            "percent_left": None,
            "due_at": None,
            "state": "off",
        }
    limited = c.limit_seconds > 0
    return {
        "limit_seconds": c.limit_seconds if limited else None,
        "used_seconds": c.used_seconds,
        "remaining_seconds": c.remaining_seconds if limited else None,
        "percent_left": c.percent_left if limited else None,
        "due_at": ts(c.due_at) if c.HasField("due_at") else None,
        "state": STATE_NAME.get(c.state, "off"),
        "is_running": c.is_running,
    }


@router.get("/tickets/{ticket_id}/sla", response_model=None)
async def ticket_sla(ticket_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    # Whether the caller sees the ticket is the tickets service's call (NOT_FOUND → 404).
    await clients(request).tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=ticket_id))
    resp = await sla(request).GetClocks(pb.GetClocksRequest(ticket_ids=[ticket_id]))
    by_kind = {KIND_NAME.get(c.kind): c for t in resp.tickets for c in t.clocks}
    return {kind: clock_out(by_kind.get(kind)) for kind in KINDS}


# -- report ---------------------------------------------------------------------------------


@router.get("/reports/sla", response_model=None)
async def sla_report(
    caller: CallerDep,
    request: Request,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
    unit_id: Annotated[int | None, Query(gt=0)] = None,
) -> dict[str, Any]:
    req = pb.GetReportRequest(unit_id=unit_id or 0, to=to_timestamp(end))
    getattr(req, "from").CopyFrom(to_timestamp(start))
    resp = await sla(request).GetReport(req)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "units": [
            {
                "unit_id": u.unit_id,
                "created": u.created,
                "done": u.done,
                "open": u.open,
                "clocks": {
                    KIND_NAME.get(c.kind, "?"): {
                        "measured": c.measured,
                        "met": c.met,
                        "breached": c.breached,
                        "met_share": c.met_share if c.measured else None,
                        "breached_share": c.breached_share if c.measured else None,
                        "median_used_seconds": c.median_used_seconds,
                    }
                    for c in u.clocks
                },
            }
            for u in resp.units
        ],
    }
