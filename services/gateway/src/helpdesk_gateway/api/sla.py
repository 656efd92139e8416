"""REST for sla (docs/product/sla.md): sla-plans, calendars, a ticket's clocks, the SLA report.

Handlers translate HTTP ⇄ gRPC; the sla service checks who may do what. A
ticket's clocks are shown only to whom the tickets service shows the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from helpdesk.sla.v1 import sla_pb2 as pb
from helpdesk.sla.v1 import sla_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import AwareDatetime, Field, field_validator

from helpdesk_gateway.api.models.sla import (
    KIND_NAME,
    KINDS,
    PRIORITIES,
    WEEKDAYS,
    Calendar,
    CalendarList,
    Clock,
    SlaPlan,
    SlaPlanList,
    SlaReport,
    TicketClocks,
    UnitReport,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import Id, IdOrZero, IdPath, IdQuery, line
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.errors import Unavailable
from helpdesk_kit.timestamps import to_timestamp

router = api_router(prefix="/api/v1")

MAX_LIMIT = 10 * 366 * 86_400
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
Date = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]


def sla(request: Request) -> sla_pb2_grpc.SlaAsyncStub:
    stub: sla_pb2_grpc.SlaAsyncStub = sla_pb2_grpc.SlaStub(clients(request).channels["sla"])
    return stub


# -- plans ----------------------------------------------------------------------------------


class Duration(Strict):
    """A limit as the UI enters it."""

    days: int = Field(default=0, ge=0, le=3660)
    hours: int = Field(default=0, ge=0, le=MAX_LIMIT // 3600)
    minutes: int = Field(default=0, ge=0, le=MAX_LIMIT // 60)
    seconds: int = Field(default=0, ge=0, le=MAX_LIMIT)

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
    name: str = line(200, min_length=1)
    calendar_id: Id | None = None
    limits: PlanLimitsIn = Field(default_factory=PlanLimitsIn)


class PlanPatch(Strict):
    name: str | None = line(200, min_length=1, default=None)
    calendar_id: IdOrZero | None = None  # 0 or null in the body: no calendar
    limits: PlanLimitsIn | None = None


@router.get("/sla-plans")
async def list_plans(caller: CallerDep, request: Request) -> SlaPlanList:
    resp = await sla(request).ListPlans(pb.ListPlansRequest())
    return SlaPlanList.of(items=[SlaPlan.from_pb(p) for p in resp.plans], next_cursor=None)


@router.post("/sla-plans", status_code=201)
async def create_plan(body: PlanIn, caller: CallerDep, request: Request) -> SlaPlan:
    req = pb.CreatePlanRequest(name=body.name, calendar_id=body.calendar_id or 0)
    body.limits.fill(req)
    return SlaPlan.from_pb(await sla(request).CreatePlan(req))


@router.get("/sla-plans/{plan_id}")
async def get_plan(plan_id: IdPath, caller: CallerDep, request: Request) -> SlaPlan:
    return SlaPlan.from_pb(await sla(request).GetPlan(pb.GetPlanRequest(plan_id=plan_id)))


@router.patch("/sla-plans/{plan_id}")
async def update_plan(plan_id: IdPath, body: PlanPatch, caller: CallerDep, request: Request) -> SlaPlan:
    req = pb.UpdatePlanRequest(plan_id=plan_id)
    if body.name is not None:
        req.name = body.name
    if "calendar_id" in body.model_fields_set:
        req.calendar_id = body.calendar_id or 0
    if body.limits is not None:
        body.limits.fill(req)
    return SlaPlan.from_pb(await sla(request).UpdatePlan(req))


# -- calendars ------------------------------------------------------------------------------


def _seconds(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 3600 + int(m) * 60


HHMM = Annotated[str, Field(max_length=5, description="HH:MM (24:00 for midnight at the end)")]
Hours = dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[tuple[HHMM, HHMM]]]


class HolidayIn(Strict):
    from_: Date = Field(alias="from")
    to: Date | None = None


Holiday = Date | HolidayIn


def _check_hours(v: Hours | None) -> Hours | None:
    for intervals in (v or {}).values():
        if len(intervals) > 12:
            raise ValueError("at most 12 working intervals a day")
        for a, b in intervals:
            if not (_HHMM.match(a) and _HHMM.match(b)):
                raise ValueError("times are HH:MM (24:00 for midnight at the end)")
    return v


class CalendarIn(Strict):
    name: str = line(200, min_length=1)
    time_zone: str = line(64, min_length=1, default="UTC")
    hours: Hours = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list, max_length=1000)

    _times = field_validator("hours")(lambda v: _check_hours(v))


class CalendarPatch(Strict):
    name: str | None = line(200, min_length=1, default=None)
    time_zone: str | None = line(64, min_length=1, default=None)
    hours: Hours | None = None
    holidays: list[Holiday] | None = Field(default=None, max_length=1000)

    _times = field_validator("hours")(lambda v: _check_hours(v))


def _hours_pb(hours: Hours) -> list[pb.WorkingInterval]:
    return [
        pb.WorkingInterval(weekday=WEEKDAYS.index(day), start_second=_seconds(a), end_second=_seconds(b))
        for day, intervals in hours.items()
        for a, b in intervals
    ]


def _holidays_pb(holidays: list[Holiday]) -> list[pb.HolidayRange]:
    out = []
    for h in holidays:
        if isinstance(h, str):
            out.append(pb.HolidayRange(first=h, last=h))
        else:
            out.append(pb.HolidayRange(first=h.from_, last=h.to or h.from_))
    return out


@router.get("/calendars")
async def list_calendars(caller: CallerDep, request: Request) -> CalendarList:
    resp = await sla(request).ListCalendars(pb.ListCalendarsRequest())
    return CalendarList.of(items=[Calendar.from_pb(c) for c in resp.calendars], next_cursor=None)


@router.post("/calendars", status_code=201)
async def create_calendar(body: CalendarIn, caller: CallerDep, request: Request) -> Calendar:
    req = pb.CreateCalendarRequest(
        name=body.name,
        time_zone=body.time_zone,
        hours=_hours_pb(body.hours),
        holidays=_holidays_pb(body.holidays),
    )
    return Calendar.from_pb(await sla(request).CreateCalendar(req))


@router.get("/calendars/{calendar_id}")
async def get_calendar(calendar_id: IdPath, caller: CallerDep, request: Request) -> Calendar:
    req = pb.GetCalendarRequest(calendar_id=calendar_id)
    return Calendar.from_pb(await sla(request).GetCalendar(req))


@router.patch("/calendars/{calendar_id}")
async def update_calendar(
    calendar_id: IdPath, body: CalendarPatch, caller: CallerDep, request: Request
) -> Calendar:
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
    return Calendar.from_pb(await sla(request).UpdateCalendar(req))


# -- a ticket's clocks ---------------------------------------------------------------------


def _clocks(clocks: Iterable[pb.Clock]) -> TicketClocks:
    by_kind = {KIND_NAME.get(c.kind): c for c in clocks}
    return TicketClocks.of(**{kind: Clock.from_pb(by_kind.get(kind)) for kind in KINDS})


async def clocks_of(request: Request, ticket_ids: list[int]) -> dict[int, TicketClocks]:
    """The clocks of tickets the caller was just shown by the tickets service (which decided
    that he sees them), for the answers that carry them. Empty when sla does not answer:
    the tickets are still shown, with ``sla: null`` — one service down takes only its part."""
    if not ticket_ids:
        return {}
    try:
        resp = await sla(request).GetClocks(pb.GetClocksRequest(ticket_ids=ticket_ids))
    except Unavailable:
        return {}
    clocks = {t.ticket_id: _clocks(t.clocks) for t in resp.tickets}
    return {i: clocks.get(i) or _clocks(()) for i in ticket_ids}


@router.get("/tickets/{ticket_id}/sla")
async def ticket_sla(ticket_id: IdPath, caller: CallerDep, request: Request) -> TicketClocks:
    # Whether the caller sees the ticket is the tickets service's call (NOT_FOUND → 404).
    await clients(request).tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=ticket_id))
    resp = await sla(request).GetClocks(pb.GetClocksRequest(ticket_ids=[ticket_id]))
    return _clocks(c for t in resp.tickets for c in t.clocks)


# -- report ---------------------------------------------------------------------------------


@router.get("/reports/sla")
async def sla_report(
    caller: CallerDep,
    request: Request,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
    unit_id: IdQuery = None,
) -> SlaReport:
    req = pb.GetReportRequest(unit_id=unit_id or 0, to=to_timestamp(end))
    getattr(req, "from").CopyFrom(to_timestamp(start))
    resp = await sla(request).GetReport(req)
    return SlaReport.of(
        from_=start.isoformat(), to=end.isoformat(), units=[UnitReport.from_pb(u) for u in resp.units]
    )
