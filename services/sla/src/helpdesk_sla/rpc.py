"""gRPC ⇄ use cases for helpdesk.sla.v1.Sla."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any, TypeAlias

import grpc
from helpdesk.sla.v1 import sla_pb2 as pb
from helpdesk.sla.v1 import sla_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.timestamps import to_timestamp as _ts
from helpdesk_kit.trust import current_user
from helpdesk_sla import usecases
from helpdesk_sla.calendar import Calendar, Holiday, Interval
from helpdesk_sla.domain import PRIORITIES, Actor, ClockView, Limits, Plan
from helpdesk_sla.errors import invalid
from helpdesk_sla.store import StoredCalendar
from helpdesk_sla.wire import KIND_PB as _KIND
from helpdesk_sla.wire import STATE_PB as _STATE

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def clock_to_pb(c: ClockView) -> pb.Clock:
    return pb.Clock(
        kind=_KIND[c.kind],
        limit_seconds=c.limit_seconds or 0,
        used_seconds=c.used_seconds,
        due_at=_ts(c.due_at),
        state=_STATE[c.state],
        is_running=c.is_running,
        remaining_seconds=c.remaining_seconds or 0,
        percent_left=c.percent_left or 0.0,
    )


def _actor() -> Actor:
    """The user the call acts for, from its verified passport (never from the request)."""
    u = current_user()
    return Actor(u.user_id, u.is_client, u.role or "", u.unit_ids, u.is_admin)


def _limits_in(msg: pb.Limits) -> Limits:
    def get(name: str) -> int | None:
        return int(getattr(msg, name)) if msg.HasField(name) else None  # type: ignore[arg-type]

    return Limits(reaction=get("reaction"), work=get("work"), deadline=get("deadline"))


def _limits_out(lim: Limits) -> pb.Limits:
    return pb.Limits(reaction=lim.reaction, work=lim.work, deadline=lim.deadline)


def plan_to_pb(p: Plan) -> pb.Plan:
    return pb.Plan(
        id=p.id,
        name=p.name,
        calendar_id=p.calendar_id or 0,
        low=_limits_out(p.limits_for("low")),
        normal=_limits_out(p.limits_for("normal")),
        high=_limits_out(p.limits_for("high")),
    )


def calendar_to_pb(c: StoredCalendar) -> pb.Calendar:
    return pb.Calendar(
        id=c.id,
        name=c.name,
        time_zone=c.calendar.time_zone,
        hours=[
            pb.WorkingInterval(weekday=i.weekday, start_second=i.start, end_second=i.end)
            for i in c.calendar.intervals
        ],
        holidays=[
            pb.HolidayRange(first=h.first.isoformat(), last=h.last.isoformat()) for h in c.calendar.holidays
        ],
    )


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid("holidays", f"not a date: {value!r}") from exc


def _intervals(hours: Any) -> tuple[Interval, ...]:
    return tuple(Interval(h.weekday, h.start_second, h.end_second) for h in hours)


def _holidays(ranges: Any) -> tuple[Holiday, ...]:
    return tuple(Holiday(_date(h.first), _date(h.last or h.first)) for h in ranges)


def _priority_limits(request: Any) -> dict[str, Limits]:
    return {p: _limits_in(getattr(request, p)) for p in PRIORITIES if request.HasField(p)}


class SlaService(pb_grpc.SlaServicer):
    def __init__(self, *, db: Database, policy: usecases.Policy) -> None:
        self._db = db
        self._policy = policy

    async def GetClocks(self, request: pb.GetClocksRequest, context: Context) -> pb.GetClocksResponse:
        clocks = await usecases.clocks_of(
            db=self._db, ticket_ids=list(request.ticket_ids), now=self._policy.now()
        )
        return pb.GetClocksResponse(
            tickets=[
                pb.TicketClocks(ticket_id=t, clocks=[clock_to_pb(c) for c in cs]) for t, cs in clocks.items()
            ]
        )

    async def ListPlans(self, request: pb.ListPlansRequest, context: Context) -> pb.ListPlansResponse:
        plans = await usecases.list_plans(db=self._db, actor=_actor())
        return pb.ListPlansResponse(plans=[plan_to_pb(p) for p in plans])

    async def GetPlan(self, request: pb.GetPlanRequest, context: Context) -> pb.Plan:
        return plan_to_pb(await usecases.get_plan(db=self._db, actor=_actor(), plan_id=request.plan_id))

    async def CreatePlan(self, request: pb.CreatePlanRequest, context: Context) -> pb.Plan:
        plan = await usecases.create_plan(
            db=self._db,
            actor=_actor(),
            name=request.name,
            calendar_id=request.calendar_id or None,
            limits=_priority_limits(request),
        )
        return plan_to_pb(plan)

    async def UpdatePlan(self, request: pb.UpdatePlanRequest, context: Context) -> pb.Plan:
        plan = await usecases.update_plan(
            db=self._db,
            actor=_actor(),
            plan_id=request.plan_id,
            policy=self._policy,
            name=request.name if request.HasField("name") else None,
            calendar_id=request.calendar_id or None,
            set_calendar=request.HasField("calendar_id"),
            limits=_priority_limits(request),
        )
        return plan_to_pb(plan)

    async def ListCalendars(
        self, request: pb.ListCalendarsRequest, context: Context
    ) -> pb.ListCalendarsResponse:
        cals = await usecases.list_calendars(db=self._db, actor=_actor())
        return pb.ListCalendarsResponse(calendars=[calendar_to_pb(c) for c in cals])

    async def GetCalendar(self, request: pb.GetCalendarRequest, context: Context) -> pb.Calendar:
        cal = await usecases.get_calendar(db=self._db, actor=_actor(), calendar_id=request.calendar_id)
        return calendar_to_pb(cal)

    async def CreateCalendar(self, request: pb.CreateCalendarRequest, context: Context) -> pb.Calendar:
        cal = Calendar(request.time_zone or "UTC", _intervals(request.hours), _holidays(request.holidays))
        saved = await usecases.create_calendar(db=self._db, actor=_actor(), name=request.name, calendar=cal)
        return calendar_to_pb(saved)

    async def UpdateCalendar(self, request: pb.UpdateCalendarRequest, context: Context) -> pb.Calendar:
        def build(old: Calendar) -> Calendar:
            return Calendar(
                request.time_zone if request.HasField("time_zone") else old.time_zone,
                _intervals(request.hours) if request.set_hours else old.intervals,
                _holidays(request.holidays) if request.set_holidays else old.holidays,
            )

        saved = await usecases.update_calendar(
            db=self._db,
            actor=_actor(),
            calendar_id=request.calendar_id,
            name=request.name if request.HasField("name") else None,
            build=build,
            policy=self._policy,
        )
        return calendar_to_pb(saved)

    async def GetReport(self, request: pb.GetReportRequest, context: Context) -> pb.GetReportResponse:
        if not request.HasField("from") or not request.HasField("to"):
            raise invalid("from", "the report needs a period: from and to")
        units = await usecases.report(
            db=self._db,
            actor=_actor(),
            unit_id=request.unit_id or None,
            start=getattr(request, "from").ToDatetime(tzinfo=UTC),
            end=request.to.ToDatetime(tzinfo=UTC),
        )
        return pb.GetReportResponse(
            units=[
                pb.UnitReport(
                    unit_id=u.unit_id,
                    created=u.created,
                    done=u.done,
                    open=u.open,
                    clocks=[
                        pb.ClockReport(
                            kind=_KIND[c.kind],
                            measured=c.measured,
                            met=c.met,
                            breached=c.breached,
                            met_share=c.met_share or 0.0,
                            breached_share=c.breached_share or 0.0,
                            median_used_seconds=c.median_used_seconds or 0.0,
                        )
                        for c in u.clocks
                    ],
                )
                for u in units
            ]
        )
