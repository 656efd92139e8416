"""The sla service's resources: plans, calendars, a ticket's clocks, the report."""

from __future__ import annotations

from typing import Literal

from helpdesk.sla.v1 import sla_pb2 as pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts

PRIORITIES = ("low", "normal", "high")
KINDS = ("reaction", "work", "deadline")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# pending: a clock whose counting has not started yet (a work clock before the ticket is taken)
ClockState = Literal["off", "ok", "warning", "breached", "met", "pending"]
STATE_NAME: dict[int, ClockState] = {
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


class Limits(Out):
    """Seconds per clock; null = that clock does not run."""

    reaction: int | None
    work: int | None
    deadline: int | None

    @classmethod
    def from_pb(cls, msg: pb.Limits) -> Limits:
        return cls.of(**{k: getattr(msg, k) if msg.HasField(k) else None for k in KINDS})  # type: ignore[arg-type]


class PlanLimits(Out):
    low: Limits
    normal: Limits
    high: Limits


class SlaPlan(Out):
    id: int
    name: str
    calendar_id: int | None
    limits: PlanLimits

    @classmethod
    def from_pb(cls, p: pb.Plan) -> SlaPlan:
        limits = PlanLimits.of(**{prio: Limits.from_pb(getattr(p, prio)) for prio in PRIORITIES})
        return cls.of(id=p.id, name=p.name, calendar_id=p.calendar_id or None, limits=limits)


class SlaPlanList(Page):
    items: list[SlaPlan]


class HolidayRange(Out):
    from_: str = Field(alias="from")
    to: str


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class Calendar(Out):
    id: int
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]] = Field(description="mon…sun: [[HH:MM, HH:MM], …]")
    holidays: list[str | HolidayRange] = Field(description='"YYYY-MM-DD" or {from, to}')

    @classmethod
    def from_pb(cls, c: pb.Calendar) -> Calendar:
        hours: dict[str, list[list[str]]] = {}
        for iv in c.hours:
            hours.setdefault(WEEKDAYS[iv.weekday], []).append([_hhmm(iv.start_second), _hhmm(iv.end_second)])
        holidays: list[str | HolidayRange] = [
            h.first if h.first == h.last else HolidayRange.of(from_=h.first, to=h.last) for h in c.holidays
        ]
        return cls.of(id=c.id, name=c.name, time_zone=c.time_zone, hours=hours, holidays=holidays)


class CalendarList(Page):
    items: list[Calendar]


class Clock(Out):
    limit_seconds: int | None
    used_seconds: int
    remaining_seconds: int | None
    percent_left: float | None
    due_at: Timestamp | None
    state: ClockState
    is_running: bool

    @classmethod
    def from_pb(cls, c: pb.Clock | None) -> Clock:
        if c is None:
            return cls.of(
                limit_seconds=None,
                used_seconds=0,
                remaining_seconds=None,
                percent_left=None,
                due_at=None,
                state="off",
                is_running=False,
            )
        limited = c.limit_seconds > 0
        return cls.of(
            limit_seconds=c.limit_seconds if limited else None,
            used_seconds=c.used_seconds,
            remaining_seconds=c.remaining_seconds if limited else None,
            percent_left=c.percent_left if limited else None,
            due_at=ts(c.due_at) if c.HasField("due_at") else None,
            state=STATE_NAME.get(c.state, "off"),
            is_running=c.is_running,
        )


class TicketClocks(Out):
    reaction: Clock
    work: Clock
    deadline: Clock


class ClockReport(Out):
    measured: int
    met: int
    breached: int
    met_share: float | None
    breached_share: float | None
    median_used_seconds: int

    @classmethod
    def from_pb(cls, c: pb.ClockReport) -> ClockReport:
        return cls.of(
            measured=c.measured,
            met=c.met,
            breached=c.breached,
            met_share=c.met_share if c.measured else None,
            breached_share=c.breached_share if c.measured else None,
            median_used_seconds=c.median_used_seconds,
        )


class UnitReport(Out):
    unit_id: int
    created: int
    done: int
    open: int
    clocks: dict[str, ClockReport]

    @classmethod
    def from_pb(cls, u: pb.UnitReport) -> UnitReport:
        clocks = {KIND_NAME.get(c.kind, "?"): ClockReport.from_pb(c) for c in u.clocks}
        return cls.of(unit_id=u.unit_id, created=u.created, done=u.done, open=u.open, clocks=clocks)


class SlaReport(Out):
    from_: str = Field(alias="from")
    to: str
    units: list[UnitReport]
