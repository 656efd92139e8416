"""The three clocks of a ticket, replayed from its events with a controllable clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from helpdesk_sla.calendar import Calendar, Interval
from helpdesk_sla.domain import (
    Clock,
    ClockKind,
    ClockState,
    Fact,
    Limits,
    TicketState,
    compute_clocks,
    fire,
    view,
    worst,
)

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
HOUR = 3600


class History:
    """Builds a ticket's facts the way the tickets service would publish them."""

    def __init__(self, priority: str = "normal") -> None:
        self.facts: list[Fact] = []
        self.priority = priority

    def at(self, minutes: float, state: TicketState, priority: str | None = None) -> History:
        self.priority = priority or self.priority
        self.facts.append(
            Fact(
                version=len(self.facts) + 1,
                occurred_at=T0 + timedelta(minutes=minutes),
                state=state,
                priority=self.priority,
                plan_id=1,
                unit_id=7,
                assignee_ids=(3,),
                created_at=T0,
            )
        )
        return self


def clocks(
    facts: list[Fact], limits: Limits, now_minutes: float, calendar: Calendar | None = None
) -> dict[ClockKind, Clock]:
    kw = {"calendar": calendar} if calendar else {}
    out = compute_clocks(
        ticket_id=1, facts=facts, limits=limits, now=T0 + timedelta(minutes=now_minutes), **kw
    )
    return {c.kind: c for c in out}


LIMITS = Limits(reaction=HOUR, work=2 * HOUR, deadline=8 * HOUR)


def test_taking_a_ticket_late_breaches_reaction_and_taking_it_in_time_meets_it() -> None:
    late = History().at(0, TicketState.NEW).at(61, TicketState.IN_WORK)
    c = clocks(late.facts, LIMITS, now_minutes=62)
    assert c[ClockKind.REACTION].state is ClockState.BREACHED
    assert c[ClockKind.REACTION].used_seconds == 61 * 60
    assert c[ClockKind.REACTION].running_since is None

    in_time = History().at(0, TicketState.NEW).at(30, TicketState.IN_WORK)
    assert clocks(in_time.facts, LIMITS, now_minutes=62)[ClockKind.REACTION].state is ClockState.MET


def test_reaction_clock_warns_at_twenty_percent_left_and_breaches_at_the_due_moment() -> None:
    new = History().at(0, TicketState.NEW).facts
    assert clocks(new, LIMITS, now_minutes=47)[ClockKind.REACTION].state is ClockState.OK
    at_48 = clocks(new, LIMITS, now_minutes=48)[ClockKind.REACTION]
    assert at_48.state is ClockState.WARNING
    assert at_48.due_at == T0 + timedelta(hours=1)
    assert fire(at_48, now=T0 + timedelta(hours=1)) is ClockState.BREACHED


def test_released_time_does_not_count_as_work() -> None:
    h = (
        History()
        .at(0, TicketState.NEW)
        .at(10, TicketState.IN_WORK)  # 30 minutes of work
        .at(40, TicketState.NEW)  # released for 100 minutes
        .at(140, TicketState.IN_WORK)  # taken again
    )
    work = clocks(h.facts, LIMITS, now_minutes=150)[ClockKind.WORK]
    assert work.used_seconds == 30 * 60
    assert work.running_since == T0 + timedelta(minutes=140)
    assert work.due_at == T0 + timedelta(minutes=140 + 90)
    seen = view(work, calendar=Calendar(wall_clock=True), now=T0 + timedelta(minutes=150))
    assert (seen.used_seconds, seen.remaining_seconds, seen.percent_left) == (40 * 60, 80 * 60, 66.7)


def test_reopening_resumes_work_and_deadline_where_they_stopped() -> None:
    h = History().at(0, TicketState.NEW).at(10, TicketState.IN_WORK).at(70, TicketState.DONE)
    done = clocks(h.facts, LIMITS, now_minutes=300)
    assert done[ClockKind.WORK].state is ClockState.MET
    assert done[ClockKind.DEADLINE].state is ClockState.MET
    assert done[ClockKind.DEADLINE].used_seconds == 70 * 60

    h.at(300, TicketState.IN_WORK)
    reopened = clocks(h.facts, LIMITS, now_minutes=301)
    work = reopened[ClockKind.WORK]
    assert work.running_since == T0 + timedelta(minutes=300)
    assert work.used_seconds == 60 * 60
    assert work.due_at == T0 + timedelta(minutes=360)
    assert reopened[ClockKind.DEADLINE].due_at == T0 + timedelta(minutes=300 + 8 * 60 - 70)
    assert reopened[ClockKind.REACTION].state is ClockState.MET


def test_a_priority_change_retargets_the_limits_without_losing_used_time() -> None:
    h = History("low").at(0, TicketState.NEW).at(10, TicketState.IN_WORK).at(40, TicketState.IN_WORK, "high")
    high = Limits(reaction=HOUR, work=HOUR, deadline=2 * HOUR)
    work = clocks(h.facts, high, now_minutes=41)[ClockKind.WORK]
    assert work.limit_seconds == HOUR
    assert work.running_since == T0 + timedelta(minutes=10)  # the change did not restart it
    assert work.due_at == T0 + timedelta(minutes=70)
    seen = view(work, calendar=Calendar(wall_clock=True), now=T0 + timedelta(minutes=41))
    assert (seen.used_seconds, seen.remaining_seconds) == (31 * 60, 29 * 60)


def test_events_out_of_order_and_twice_give_the_same_clocks() -> None:
    h = (
        History()
        .at(0, TicketState.NEW)
        .at(5, TicketState.IN_WORK)
        .at(20, TicketState.NEW)
        .at(30, TicketState.IN_WORK)
        .at(50, TicketState.DONE)
    )
    expected = clocks(h.facts, LIMITS, now_minutes=60)
    shuffled = h.facts * 2
    random.Random(4).shuffle(shuffled)
    assert clocks(shuffled, LIMITS, now_minutes=60) == expected
    assert expected[ClockKind.WORK].used_seconds == 35 * 60


def test_a_clock_without_a_limit_is_off_and_never_fires() -> None:
    c = clocks(History().at(0, TicketState.NEW).facts, Limits(reaction=HOUR), now_minutes=500)
    assert c[ClockKind.DEADLINE].state is ClockState.OFF
    assert c[ClockKind.DEADLINE].next_fire_at is None
    assert worst(x.state for x in c.values()) is ClockState.BREACHED


def test_a_business_calendar_clock_is_due_on_the_next_working_morning() -> None:
    office = Calendar("Europe/Berlin", tuple(Interval(d, 9 * HOUR, 17 * HOUR) for d in range(5)))
    friday_4pm = datetime(2026, 11, 27, 16, tzinfo=ZoneInfo("Europe/Berlin"))
    fact = Fact(1, friday_4pm, TicketState.NEW, "normal", 1, 7, (), friday_4pm)
    reaction = compute_clocks(
        ticket_id=1, facts=[fact], limits=Limits(reaction=2 * HOUR), calendar=office, now=friday_4pm
    )[0]
    assert reaction.due_at == datetime(2026, 11, 30, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    # Saturday noon: still one working hour left, still ok
    saturday = datetime(2026, 11, 28, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert view(reaction, calendar=office, now=saturday).remaining_seconds == HOUR


def test_a_clock_running_over_a_dst_change_night_counts_the_real_hours() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    always = Calendar("Europe/Berlin", tuple(Interval(d, 0, 86400) for d in range(7)))
    created = datetime(2026, 3, 29, 0, tzinfo=berlin)
    fact = Fact(1, created, TicketState.NEW, "normal", 1, 7, (), created)
    deadline = compute_clocks(
        ticket_id=1, facts=[fact], limits=Limits(deadline=4 * HOUR), calendar=always, now=created
    )[2]
    # 02:00 does not exist that night: four hours after midnight is 05:00 local
    assert deadline.due_at == datetime(2026, 3, 29, 5, tzinfo=berlin)


def test_the_work_clock_of_a_ticket_nobody_has_taken_is_pending_not_met() -> None:
    untaken = History().at(0, TicketState.NEW)
    c = clocks(untaken.facts, LIMITS, now_minutes=5)
    assert c[ClockKind.WORK].state is ClockState.PENDING
    assert c[ClockKind.REACTION].state is ClockState.OK
    assert worst(x.state for x in c.values()) is ClockState.OK


def test_a_work_clock_taken_and_released_at_once_is_met_not_pending() -> None:
    quick = History().at(0, TicketState.NEW).at(1, TicketState.IN_WORK).at(1, TicketState.NEW)
    assert clocks(quick.facts, LIMITS, now_minutes=5)[ClockKind.WORK].state is ClockState.MET


def test_a_ticket_whose_only_limit_is_work_reads_pending_until_taken() -> None:
    only_work = Limits(work=HOUR)
    c = clocks(History().at(0, TicketState.NEW).facts, only_work, now_minutes=5)
    assert worst(x.state for x in c.values()) is ClockState.PENDING
