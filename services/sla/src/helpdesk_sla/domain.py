"""SLA plans and the three clocks of a ticket, as pure functions. No framework imports.

A ticket's clocks are a function of (the plan's limits for its priority, the plan's
calendar, the ticket's event history, now). The history is replayed in order of
the ticket's version (then ``occurred_at``), so events that arrive late or twice
change nothing: the consumer keeps a per-ticket log and recomputes from it.

- reaction runs from creation until the first take (or done);
- work runs while the ticket is in work (take → release/forward/complete; reopen resumes);
- deadline runs from creation until done (reopen resumes it).

The limits are those of the ticket's *current* plan and priority: a priority or
subject change, or a forward, re-targets them without losing time already used.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from helpdesk_sla.calendar import WALL_CLOCK, Calendar
from helpdesk_sla.errors import Forbidden, invalid

PRIORITIES = ("low", "normal", "high")
MAX_LIMIT_SECONDS = 10 * 366 * 86_400


class ClockKind(enum.StrEnum):
    REACTION = "reaction"
    WORK = "work"
    DEADLINE = "deadline"


class ClockState(enum.StrEnum):
    OFF = "off"
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    PENDING = "pending"  # has a limit, has not started yet (the work clock before the first take)


# Worst first: a ticket's SLA state is the worst of its clocks.
_SEVERITY = {
    ClockState.BREACHED: 5,
    ClockState.WARNING: 4,
    ClockState.OK: 3,
    ClockState.MET: 2,
    ClockState.PENDING: 1,
    ClockState.OFF: 0,
}


def worst(states: Iterable[ClockState]) -> ClockState:
    return max(states, key=lambda s: _SEVERITY[s], default=ClockState.OFF)


class TicketState(enum.StrEnum):
    NEW = "new"
    IN_WORK = "in_work"
    DONE = "done"
    ARCHIVED = "archived"


# -- plans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    reaction: int | None = None
    work: int | None = None
    deadline: int | None = None

    def of(self, kind: ClockKind) -> int | None:
        value: int | None = getattr(self, kind.value)
        return value


@dataclass(frozen=True)
class Plan:
    id: int
    name: str
    calendar_id: int | None
    limits: dict[str, Limits]  # priority → limits

    def limits_for(self, priority: str) -> Limits:
        return self.limits.get(priority, Limits())


def check_plan(name: str, limits: dict[str, Limits]) -> None:
    if not name.strip() or len(name) > 200:
        raise invalid("name", "a plan needs a name of 1 to 200 characters")
    for priority, lim in limits.items():
        if priority not in PRIORITIES:
            raise invalid("limits", f"unknown priority {priority!r}")
        for kind in ClockKind:
            value = lim.of(kind)
            if value is not None and not 0 < value <= MAX_LIMIT_SECONDS:
                raise invalid(f"limits.{priority}.{kind.value}", "a limit is a positive number of seconds")


# -- the ticket's history --------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One ticket event as sla needs it: the ticket after the change."""

    version: int
    occurred_at: datetime
    state: TicketState
    priority: str
    plan_id: int | None
    unit_id: int
    assignee_ids: tuple[int, ...]
    created_at: datetime


@dataclass
class Clock:
    ticket_id: int
    kind: ClockKind
    limit_seconds: int | None
    used_seconds: int  # working seconds used up to running_since (or in all, when stopped)
    running_since: datetime | None
    due_at: datetime | None
    state: ClockState
    warn_at: datetime | None = None

    @property
    def next_fire_at(self) -> datetime | None:
        """When the timers must look at this clock next (warning, then breach)."""
        if self.running_since is None or self.limit_seconds is None:
            return None
        if self.state is ClockState.OK:
            return self.warn_at or self.due_at
        if self.state is ClockState.WARNING:
            return self.due_at
        return None


@dataclass(frozen=True)
class ClockView:
    """A clock as the reader sees it at ``now``."""

    kind: ClockKind
    limit_seconds: int | None
    used_seconds: int
    remaining_seconds: int | None
    percent_left: float | None
    due_at: datetime | None
    state: ClockState
    is_running: bool


@dataclass
class _Run:
    """Accumulates one clock's running intervals while the history is replayed."""

    segments: list[tuple[datetime, datetime]] = field(default_factory=list)
    since: datetime | None = None

    def start(self, t: datetime) -> None:
        if self.since is None:
            self.since = t

    def stop(self, t: datetime) -> None:
        if self.since is not None:
            self.segments.append((self.since, max(t, self.since)))
            self.since = None


def order(facts: Iterable[Fact]) -> list[Fact]:
    """History order: the ticket's version, then time (duplicates collapse)."""
    unique = {(f.version, f.occurred_at): f for f in facts}
    return [unique[k] for k in sorted(unique)]


def replay(facts: Sequence[Fact]) -> dict[ClockKind, _Run]:
    runs = {k: _Run() for k in ClockKind}
    if not facts:
        return runs
    history = order(facts)
    created = history[0].created_at
    runs[ClockKind.REACTION].start(created)
    runs[ClockKind.DEADLINE].start(created)
    reacted = False
    for f in history:
        t = max(f.occurred_at, created)
        if f.state is TicketState.IN_WORK:
            if not reacted:
                runs[ClockKind.REACTION].stop(t)
                reacted = True
            runs[ClockKind.WORK].start(t)
            runs[ClockKind.DEADLINE].start(t)
        elif f.state is TicketState.NEW:
            runs[ClockKind.WORK].stop(t)
        else:  # done, archived
            if not reacted:
                runs[ClockKind.REACTION].stop(t)
                reacted = True
            runs[ClockKind.WORK].stop(t)
            runs[ClockKind.DEADLINE].stop(t)
    return runs


def _seconds(d: timedelta) -> int:
    return int(d.total_seconds())


def compute_clocks(
    *,
    ticket_id: int,
    facts: Sequence[Fact],
    limits: Limits,
    calendar: Calendar = WALL_CLOCK,
    now: datetime,
    warning_percent: float = 20.0,
) -> list[Clock]:
    """The three stored clocks of a ticket, as of ``now``."""
    clocks = []
    for kind, run in replay(facts).items():
        used = sum((calendar.between(s, e) for s, e in run.segments), timedelta())
        clocks.append(
            settle(
                Clock(ticket_id, kind, limits.of(kind), _seconds(used), run.since, None, ClockState.OFF),
                calendar=calendar,
                now=now,
                warning_percent=warning_percent,
                used_exact=used,
                started=bool(run.segments) or run.since is not None,
            )
        )
    return clocks


def settle(
    clock: Clock,
    *,
    calendar: Calendar,
    now: datetime,
    warning_percent: float,
    used_exact: timedelta | None = None,
    started: bool = True,
) -> Clock:
    """Fills due/warn times and the state of a clock from its limit, use and running start.
    A clock that has never run is ``pending``: nothing was met yet."""
    limit = clock.limit_seconds
    used = used_exact if used_exact is not None else timedelta(seconds=clock.used_seconds)
    if limit is None:
        clock.due_at = clock.warn_at = None
        clock.state = ClockState.OFF
        return clock
    if clock.running_since is None:
        clock.due_at = clock.warn_at = None
        if not started:
            clock.state = ClockState.PENDING
        else:
            clock.state = ClockState.MET if used <= timedelta(seconds=limit) else ClockState.BREACHED
        return clock
    start = clock.running_since
    clock.due_at = calendar.add(start, timedelta(seconds=limit) - used)
    warn_used = timedelta(seconds=limit * (100 - warning_percent) / 100)
    clock.warn_at = calendar.add(start, warn_used - used) if warning_percent > 0 else None
    if used >= timedelta(seconds=limit) or now >= clock.due_at:
        clock.state = ClockState.BREACHED
    elif clock.warn_at is not None and now >= clock.warn_at:
        clock.state = ClockState.WARNING
    else:
        clock.state = ClockState.OK
    return clock


def view(clock: Clock, *, calendar: Calendar, now: datetime) -> ClockView:
    """Used, remaining and percent left at ``now`` (a running clock keeps counting)."""
    used = timedelta(seconds=clock.used_seconds)
    if clock.running_since is not None:
        used += calendar.between(clock.running_since, now)
    used_s = _seconds(used)
    remaining = percent = None
    if clock.limit_seconds is not None:
        remaining = max(clock.limit_seconds - used_s, 0)
        percent = round(100.0 * remaining / clock.limit_seconds, 1)
    return ClockView(
        kind=clock.kind,
        limit_seconds=clock.limit_seconds,
        used_seconds=used_s,
        remaining_seconds=remaining,
        percent_left=percent,
        due_at=clock.due_at,
        state=clock.state,
        is_running=clock.running_since is not None,
    )


def fire(clock: Clock, *, now: datetime) -> ClockState | None:
    """What a timer does to a clock whose next_fire_at has come: the new state, or None."""
    if clock.running_since is None or clock.due_at is None:
        return None
    if now >= clock.due_at and clock.state in (ClockState.OK, ClockState.WARNING):
        return ClockState.BREACHED
    if clock.warn_at is not None and now >= clock.warn_at and clock.state is ClockState.OK:
        return ClockState.WARNING
    return None


# -- who may do what --------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    user_id: int
    is_client: bool
    role: str
    unit_ids: tuple[int, ...]
    is_admin: bool

    @property
    def is_staff(self) -> bool:
        return not self.is_client and self.user_id > 0


def may_read_config(actor: Actor) -> bool:
    """Plans and calendars: every staff user reads them."""
    return actor.is_staff


def may_write_config(actor: Actor) -> bool:
    """Plans and calendars: admins write them."""
    return actor.is_staff and actor.is_admin


def report_units(actor: Actor, unit_id: int | None) -> list[int] | None:
    """The units whose report the actor may see (None: all units), or raise Forbidden."""
    if not actor.is_staff:
        raise Forbidden("the SLA report is for staff")
    if actor.is_admin or actor.role == "department_head":
        return [unit_id] if unit_id else None
    if actor.role == "unit_head":
        if unit_id:
            if unit_id not in actor.unit_ids:
                raise Forbidden("unit heads see the report of their own units only")
            return [unit_id]
        return list(actor.unit_ids)
    raise Forbidden("the SLA report is for department and unit heads")
