"""The sla service against real PostgreSQL: ticket events in, clocks stored, timers fire once."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2
from helpdesk.tickets.v1 import events_pb2 as tev
from helpdesk.tickets.v1 import tickets_pb2 as tpb

from helpdesk_kit.db import Database
from helpdesk_kit.inbox import Event
from helpdesk_sla import usecases
from helpdesk_sla.calendar import Calendar, Interval
from helpdesk_sla.consumers import routes
from helpdesk_sla.domain import Actor, ClockKind, ClockState, Limits
from helpdesk_sla.errors import Forbidden, InvalidInput
from helpdesk_sla.timers import Scheduler

from .conftest import HandClock

ADMIN = Actor(1, False, "department_head", (), True)
MEMBER = Actor(2, False, "unit_member", (7,), False)
CLIENT = Actor(3, True, "", (), False)
UNIT = 7


def ts(t: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(t)
    return out


class Tickets:
    """Publishes ticket events the way the tickets service does, straight into sla's handlers."""

    def __init__(self, db: Database, clock: HandClock, policy: usecases.Policy) -> None:
        self.db = db
        self.clock = clock
        self.handlers = {r.message_type.DESCRIPTOR.full_name: r.handler for r in routes(policy)}
        self.versions: dict[int, int] = {}
        self.created: dict[int, datetime] = {}
        self.sent: list[Message] = []

    def ticket(
        self, ticket_id: int, state: int, priority: int = tpb.PRIORITY_NORMAL, plan: int = 0
    ) -> tpb.Ticket:
        self.versions[ticket_id] = self.versions.get(ticket_id, 0) + 1
        self.created.setdefault(ticket_id, self.clock())
        return tpb.Ticket(
            id=ticket_id,
            state=state,  # type: ignore[arg-type]
            priority=priority,  # type: ignore[arg-type]
            unit_id=UNIT,
            assignee_ids=[11, 12],
            created_at=ts(self.created[ticket_id]),
            sla_plan_id=plan,
            version=self.versions[ticket_id],
        )

    async def deliver(self, msg: Message, event_id: str | None = None) -> None:
        async with self.db.unit_of_work() as uow:
            await self.handlers[msg.DESCRIPTOR.full_name](
                uow, Event(id=event_id or "x", subject="", type=msg.DESCRIPTOR.full_name, message=msg)
            )
            await uow.commit()

    async def send(self, msg: Message) -> Message:
        self.sent.append(msg)
        await self.deliver(msg)
        return msg

    async def create(self, ticket_id: int, plan: int, priority: int = tpb.PRIORITY_NORMAL) -> Message:
        t = self.ticket(ticket_id, tpb.STATE_NEW, priority, plan)
        return await self.send(tev.TicketCreated(occurred_at=ts(self.clock()), ticket=t, sla_plan_id=plan))

    async def move(self, cls: Any, ticket_id: int, state: int, plan: int, **kw: Any) -> Message:
        t = self.ticket(ticket_id, state, kw.pop("priority", tpb.PRIORITY_NORMAL), plan)
        return await self.send(cls(occurred_at=ts(self.clock()), ticket=t, **kw))


@pytest.fixture
def policy(clock: HandClock) -> usecases.Policy:
    return usecases.Policy(warning_percent=20, now=clock)


@pytest.fixture
def tickets(db: Database, clock: HandClock, policy: usecases.Policy) -> Tickets:
    return Tickets(db, clock, policy)


async def plan(db: Database, **limits: Limits) -> int:
    p = await usecases.create_plan(db=db, actor=ADMIN, name="Standard", calendar_id=None, limits=limits)
    return p.id


async def outbox(db: Database, subject: str | None = None) -> list[Message]:
    types = {
        "helpdesk.sla.v1.SlaBreached": sla_events.SlaBreached,
        "helpdesk.sla.v1.SlaWarning": sla_events.SlaWarning,
        "helpdesk.sla.v1.SlaStateChanged": sla_events.SlaStateChanged,
    }
    rows = await db.pool.fetch("SELECT subject, event_type, payload FROM outbox ORDER BY id")
    return [types[r["event_type"]].FromString(r["payload"]) for r in rows if subject in (None, r["subject"])]


async def clocks(db: Database, clock: HandClock, ticket_id: int) -> dict[ClockKind, Any]:
    views = await usecases.clocks_of(db=db, ticket_ids=[ticket_id], now=clock())
    return {v.kind: v for v in views.get(ticket_id, [])}


async def test_taking_a_ticket_after_its_reaction_limit_publishes_one_breach_to_the_unit_and_assignees(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(reaction=60, deadline=3600))
    await tickets.create(1, p)
    clock.advance(50)
    assert await usecases.fire_due(db=db, now=clock()) != []  # the warning at 48 s
    assert await outbox(db, "sla.SlaBreached") == []
    clock.advance(10)
    fired = await usecases.fire_due(db=db, now=clock())
    assert [(f.kind, f.state) for f in fired] == [(ClockKind.REACTION, ClockState.BREACHED)]
    clock.advance(30)
    assert await usecases.fire_due(db=db, now=clock()) == []
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)

    [breach] = await outbox(db, "sla.SlaBreached")
    assert (breach.ticket_id, breach.clock, breach.unit_id) == (1, sla_pb2.CLOCK_KIND_REACTION, UNIT)
    assert list(breach.assignee_ids) == [11, 12]
    assert breach.due_at.ToDatetime().replace(tzinfo=clock().tzinfo) == tickets.created[1] + timedelta(
        seconds=60
    )
    [warning] = await outbox(db, "sla.SlaWarning")
    assert warning.clock == sla_pb2.CLOCK_KIND_REACTION
    reaction = (await clocks(db, clock, 1))[ClockKind.REACTION]
    assert (reaction.state, reaction.used_seconds, reaction.is_running) == (ClockState.BREACHED, 90, False)
    states = [m.state for m in await outbox(db, "sla.SlaStateChanged")]
    assert states == [sla_pb2.CLOCK_STATE_OK, sla_pb2.CLOCK_STATE_WARNING, sla_pb2.CLOCK_STATE_BREACHED]


async def test_a_breach_that_fell_due_while_the_timers_were_down_is_published_at_start(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(reaction=60))
    for ticket_id in (1, 2, 3):
        await tickets.create(ticket_id, p)
    clock.advance(3600)  # nobody ran the timers for an hour
    scheduler = Scheduler(db=db, now=clock, batch=2)
    assert await scheduler.fire_due() == 3
    assert sorted(m.ticket_id for m in await outbox(db, "sla.SlaBreached")) == [1, 2, 3]
    assert await outbox(db, "sla.SlaWarning") == []  # already past: breach only
    assert await scheduler.fire_due() == 0


async def test_replicas_firing_at_the_same_moment_publish_each_breach_exactly_once(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(deadline=600))
    for ticket_id in range(1, 121):
        await tickets.create(ticket_id, p)
    clock.advance(601)
    replicas = [Scheduler(db=db, now=clock, batch=7) for _ in range(4)]
    counts = await asyncio.gather(*(r.fire_due() for r in replicas))
    assert sum(counts) == 120
    breaches = await outbox(db, "sla.SlaBreached")
    assert sorted(m.ticket_id for m in breaches) == list(range(1, 121))


async def test_release_and_retake_exclude_the_released_time_from_work(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(work=3600))
    await tickets.create(1, p)
    clock.advance(60)
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    clock.advance(600)
    await tickets.move(tev.TicketReleased, 1, tpb.STATE_NEW, p)
    clock.advance(5000)  # released: not work
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    clock.advance(100)
    work = (await clocks(db, clock, 1))[ClockKind.WORK]
    assert (work.used_seconds, work.remaining_seconds, work.state) == (700, 2900, ClockState.OK)
    assert work.due_at == clock() - timedelta(seconds=100) + timedelta(seconds=3000)


async def test_reopening_a_done_ticket_resumes_its_work_clock(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(work=1000, deadline=5000))
    await tickets.create(1, p)
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    clock.advance(300)
    await tickets.move(tev.TicketCompleted, 1, tpb.STATE_DONE, p)
    done = await clocks(db, clock, 1)
    assert (done[ClockKind.WORK].state, done[ClockKind.DEADLINE].state) == (ClockState.MET, ClockState.MET)
    clock.advance(10_000)
    await tickets.move(tev.TicketReopened, 1, tpb.STATE_IN_WORK, p)
    clock.advance(100)
    again = await clocks(db, clock, 1)
    assert (again[ClockKind.WORK].used_seconds, again[ClockKind.WORK].state) == (400, ClockState.OK)
    assert again[ClockKind.WORK].is_running


async def test_events_delivered_out_of_order_and_twice_give_the_clocks_of_the_true_order(
    db: Database, clock: HandClock, tickets: Tickets, policy: usecases.Policy
) -> None:
    p = await plan(db, normal=Limits(reaction=600, work=3600, deadline=7200))
    await tickets.create(1, p)
    clock.advance(120)
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    clock.advance(300)
    await tickets.move(tev.TicketReleased, 1, tpb.STATE_NEW, p)
    clock.advance(300)
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    expected = await clocks(db, clock, 1)

    # the same history for ticket 2, delivered backwards and each event twice
    for msg in reversed(tickets.sent):
        msg.ticket.id = 2  # type: ignore[attr-defined]
        await tickets.deliver(msg, event_id="a")
        await tickets.deliver(msg, event_id="b")
    assert await clocks(db, clock, 2) == expected
    assert expected[ClockKind.WORK].used_seconds == 300
    assert expected[ClockKind.REACTION].state is ClockState.MET


async def test_raising_the_priority_retargets_the_limits_and_keeps_the_time_used(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, low=Limits(deadline=86_400), high=Limits(deadline=3600))
    await tickets.create(1, p, priority=tpb.PRIORITY_LOW)
    clock.advance(1800)
    await tickets.move(tev.TicketEdited, 1, tpb.STATE_NEW, p, priority=tpb.PRIORITY_HIGH)
    deadline = (await clocks(db, clock, 1))[ClockKind.DEADLINE]
    assert (deadline.limit_seconds, deadline.used_seconds, deadline.state) == (3600, 1800, ClockState.OK)
    clock.advance(1200)  # 50 minutes used of 60: warning
    assert [f.state for f in await usecases.fire_due(db=db, now=clock())] == [ClockState.WARNING]


async def test_changing_a_plan_retargets_the_running_clocks_of_its_tickets(
    db: Database, clock: HandClock, tickets: Tickets, policy: usecases.Policy
) -> None:
    p = await plan(db, normal=Limits(deadline=3600))
    await tickets.create(1, p)
    clock.advance(600)
    await usecases.update_plan(
        db=db, actor=ADMIN, plan_id=p, policy=policy, limits={"normal": Limits(deadline=300)}
    )
    assert [m.ticket_id for m in await outbox(db, "sla.SlaBreached")] == [1]


async def test_a_business_calendar_plan_counts_only_working_hours(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    office = await usecases.create_calendar(
        db=db,
        actor=ADMIN,
        name="Berlin office",
        calendar=Calendar("Europe/Berlin", tuple(Interval(d, 9 * 3600, 17 * 3600) for d in range(5))),
    )
    p = await usecases.create_plan(
        db=db, actor=ADMIN, name="Office", calendar_id=office.id, limits={"normal": Limits(reaction=4 * 3600)}
    )
    clock.t = datetime.fromisoformat("2026-11-27T15:00:00+01:00")  # Friday 3 pm in Berlin
    await tickets.create(1, p.id)
    reaction = (await clocks(db, clock, 1))[ClockKind.REACTION]
    assert reaction.due_at == datetime.fromisoformat("2026-11-30T11:00:00+01:00")
    clock.t = datetime.fromisoformat("2026-11-29T23:00:00+01:00")  # Sunday night
    assert await usecases.fire_due(db=db, now=clock()) == []
    assert (await clocks(db, clock, 1))[ClockKind.REACTION].remaining_seconds == 2 * 3600


async def test_a_deleted_ticket_loses_its_clocks_and_later_events_do_not_bring_them_back(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(reaction=60))
    await tickets.create(1, p)
    await tickets.send(tev.TicketDeleted(occurred_at=ts(clock()), ticket_id=1))
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    clock.advance(100)
    assert await clocks(db, clock, 1) == {}
    assert await usecases.fire_due(db=db, now=clock()) == []


async def test_a_ticket_without_a_plan_has_clocks_that_are_off(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    await tickets.create(1, 0)
    c = await clocks(db, clock, 1)
    assert {v.state for v in c.values()} == {ClockState.OFF}
    assert c[ClockKind.REACTION].is_running


async def test_plans_and_calendars_are_written_by_admins_read_by_staff_and_checked(db: Database) -> None:
    with pytest.raises(Forbidden):
        await usecases.create_plan(db=db, actor=MEMBER, name="x", calendar_id=None, limits={})
    with pytest.raises(Forbidden):
        await usecases.list_plans(db=db, actor=CLIENT)
    with pytest.raises(InvalidInput):
        await usecases.create_plan(
            db=db, actor=ADMIN, name="x", calendar_id=None, limits={"low": Limits(work=-5)}
        )
    with pytest.raises(InvalidInput):
        await usecases.create_plan(db=db, actor=ADMIN, name="x", calendar_id=99, limits={})
    with pytest.raises(InvalidInput):
        await usecases.create_calendar(db=db, actor=ADMIN, name="c", calendar=Calendar("Nowhere/Town"))
    p = await usecases.create_plan(
        db=db, actor=ADMIN, name="Gold", calendar_id=None, limits={"high": Limits(reaction=600)}
    )
    [seen] = await usecases.list_plans(db=db, actor=MEMBER)
    assert seen == p
    assert seen.limits_for("high") == Limits(reaction=600) and seen.limits_for("low") == Limits()


async def test_the_report_counts_created_done_and_open_and_the_share_met_and_breached(
    db: Database, clock: HandClock, tickets: Tickets
) -> None:
    p = await plan(db, normal=Limits(reaction=60))
    start = clock()
    await tickets.create(1, p)
    await tickets.create(2, p)
    await tickets.move(tev.TicketTaken, 1, tpb.STATE_IN_WORK, p)
    await tickets.move(tev.TicketCompleted, 1, tpb.STATE_DONE, p)
    clock.advance(120)
    await usecases.fire_due(db=db, now=clock())
    [unit] = await usecases.report(db=db, actor=ADMIN, unit_id=UNIT, start=start, end=clock())
    assert (unit.created, unit.done, unit.open) == (2, 1, 1)
    reaction = next(c for c in unit.clocks if c.kind is ClockKind.REACTION)
    assert (reaction.met_share, reaction.breached_share) == (0.5, 0.5)
    with pytest.raises(Forbidden):
        await usecases.report(db=db, actor=MEMBER, unit_id=UNIT, start=start, end=clock())
    head = Actor(5, False, "unit_head", (8,), False)
    with pytest.raises(Forbidden):
        await usecases.report(db=db, actor=head, unit_id=UNIT, start=start, end=clock())


async def test_the_running_timers_fire_a_breach_within_a_second_of_its_moment(
    db: Database, tickets: Tickets, clock: HandClock
) -> None:
    p = await plan(db, normal=Limits(reaction=1))
    clock.t = usecases.utcnow()
    fired: list[tuple[usecases.Fired, datetime]] = []
    scheduler = Scheduler(db=db, on_fired=lambda fs, at: fired.extend((f, at) for f in fs))
    task = asyncio.create_task(scheduler.run())
    try:
        await asyncio.sleep(0.3)  # asleep on an empty index
        created = usecases.utcnow()
        clock.t = created
        await tickets.create(1, p)  # NOTIFY wakes the scheduler for the new moment
        for _ in range(40):
            if any(f.state is ClockState.BREACHED for f, _ in fired):
                break
            await asyncio.sleep(0.1)
    finally:
        scheduler.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    assert [f.state for f, _ in fired] == [ClockState.WARNING, ClockState.BREACHED]
    for f, at in fired:
        assert timedelta() <= at - f.scheduled_at < timedelta(seconds=1)
    assert fired[1][0].scheduled_at == created + timedelta(seconds=1)


async def test_changing_a_calendar_moves_the_due_time_of_running_clocks(
    db: Database, clock: HandClock, tickets: Tickets, policy: usecases.Policy
) -> None:
    weekdays = tuple(Interval(d, 9 * 3600, 17 * 3600) for d in range(5))
    office = await usecases.create_calendar(
        db=db, actor=ADMIN, name="Office", calendar=Calendar("Europe/Berlin", weekdays)
    )
    p = await usecases.create_plan(
        db=db, actor=ADMIN, name="Office", calendar_id=office.id, limits={"normal": Limits(reaction=4 * 3600)}
    )
    clock.t = datetime.fromisoformat("2026-11-27T15:00:00+01:00")  # Friday 3 pm in Berlin
    await tickets.create(1, p.id)
    await usecases.update_calendar(
        db=db,
        actor=ADMIN,
        calendar_id=office.id,
        name=None,
        build=lambda old: Calendar(old.time_zone, (*old.intervals, Interval(5, 9 * 3600, 17 * 3600))),
        policy=policy,
    )
    reaction = (await clocks(db, clock, 1))[ClockKind.REACTION]
    assert reaction.due_at == datetime.fromisoformat("2026-11-28T11:00:00+01:00")  # Saturday now works
