"""The sla service's use cases: plans, calendars, clocks from ticket facts, timers, report.

Every change of a clock and the events it causes (``SlaWarning``, ``SlaBreached``,
``SlaStateChanged``) commit in one transaction through the outbox; the clock rows
are locked while they change (``FOR UPDATE``; the timers ``SKIP LOCKED``), so each
warning and breach is published exactly once, whatever the number of replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import asyncpg

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_sla import events, metrics, store
from helpdesk_sla.calendar import WALL_CLOCK, Calendar
from helpdesk_sla.domain import (
    Actor,
    Clock,
    ClockKind,
    ClockState,
    ClockView,
    Fact,
    Limits,
    Plan,
    check_plan,
    compute_clocks,
    fire,
    may_read_config,
    may_write_config,
    report_units,
    view,
    worst,
)
from helpdesk_sla.errors import Forbidden, NotFound, invalid


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    """Service-wide SLA settings, and the time source (injectable for tests)."""

    warning_percent: float = 20.0
    now: Callable[[], datetime] = field(default=utcnow)


# -- plans and calendars ------------------------------------------------------------------


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(what)


async def list_plans(*, db: Database, actor: Actor) -> list[Plan]:
    _require(may_read_config(actor), "SLA plans are for staff")
    async with db.unit_of_work() as uow:
        return await store.list_plans(uow.conn)


async def get_plan(*, db: Database, actor: Actor, plan_id: int) -> Plan:
    _require(may_read_config(actor), "SLA plans are for staff")
    async with db.unit_of_work() as uow:
        plan = await store.get_plan(uow.conn, plan_id)
    if plan is None:
        raise NotFound(f"no SLA plan {plan_id}")
    return plan


async def _check_calendar(conn: asyncpg.Connection, calendar_id: int | None) -> None:
    if calendar_id is not None and await store.get_calendar(conn, calendar_id) is None:
        raise invalid("calendar_id", f"no calendar {calendar_id}")


async def create_plan(
    *, db: Database, actor: Actor, name: str, calendar_id: int | None, limits: dict[str, Limits]
) -> Plan:
    _require(may_write_config(actor), "only admins change SLA plans")
    check_plan(name, limits)
    async with db.unit_of_work() as uow:
        await _check_calendar(uow.conn, calendar_id)
        plan = await store.insert_plan(uow.conn, name.strip(), calendar_id, limits)
        await uow.commit()
    return plan


async def update_plan(
    *,
    db: Database,
    actor: Actor,
    plan_id: int,
    policy: Policy,
    name: str | None = None,
    calendar_id: int | None = None,
    set_calendar: bool = False,
    limits: dict[str, Limits] | None = None,
) -> Plan:
    """Changes a plan; the running clocks of its tickets are re-targeted in the same transaction."""
    _require(may_write_config(actor), "only admins change SLA plans")
    async with db.unit_of_work() as uow:
        plan = await store.get_plan(uow.conn, plan_id, for_update=True)
        if plan is None:
            raise NotFound(f"no SLA plan {plan_id}")
        merged = dict(plan.limits)
        merged.update(limits or {})
        new = replace(
            plan,
            name=(name if name is not None else plan.name).strip(),
            calendar_id=calendar_id if set_calendar else plan.calendar_id,
            limits=merged,
        )
        check_plan(new.name, new.limits)
        await _check_calendar(uow.conn, new.calendar_id)
        saved = await store.update_plan(uow.conn, new)
        for ticket_id in await store.tickets_of_plan(uow.conn, plan_id):
            await _recompute(uow, ticket_id, policy)
        await uow.commit()
    return saved


async def list_calendars(*, db: Database, actor: Actor) -> list[store.StoredCalendar]:
    _require(may_read_config(actor), "calendars are for staff")
    async with db.unit_of_work() as uow:
        return await store.list_calendars(uow.conn)


async def get_calendar(*, db: Database, actor: Actor, calendar_id: int) -> store.StoredCalendar:
    _require(may_read_config(actor), "calendars are for staff")
    async with db.unit_of_work() as uow:
        cal = await store.get_calendar(uow.conn, calendar_id)
    if cal is None:
        raise NotFound(f"no calendar {calendar_id}")
    return cal


def _check_name(name: str) -> str:
    if not name.strip() or len(name) > 200:
        raise invalid("name", "a calendar needs a name of 1 to 200 characters")
    return name.strip()


async def create_calendar(
    *, db: Database, actor: Actor, name: str, calendar: Calendar
) -> store.StoredCalendar:
    _require(may_write_config(actor), "only admins change calendars")
    name = _check_name(name)
    async with db.unit_of_work() as uow:
        saved = await store.insert_calendar(uow.conn, name, calendar)
        await uow.commit()
    return saved


async def update_calendar(
    *,
    db: Database,
    actor: Actor,
    calendar_id: int,
    name: str | None,
    build: Callable[[Calendar], Calendar],
    policy: Policy,
) -> store.StoredCalendar:
    """``build`` makes the new calendar from the stored one (validation raises 422); the running
    clocks of the tickets whose plan uses it are re-targeted in the same transaction."""
    _require(may_write_config(actor), "only admins change calendars")
    async with db.unit_of_work() as uow:
        old = await store.get_calendar(uow.conn, calendar_id, for_update=True)
        if old is None:
            raise NotFound(f"no calendar {calendar_id}")
        saved = await store.update_calendar(
            uow.conn, calendar_id, _check_name(name if name is not None else old.name), build(old.calendar)
        )
        for plan in await store.list_plans(uow.conn):
            if plan.calendar_id == calendar_id:
                for ticket_id in await store.tickets_of_plan(uow.conn, plan.id):
                    await _recompute(uow, ticket_id, policy)
        await uow.commit()
    return saved


# -- clocks from ticket facts ---------------------------------------------------------------


async def apply_fact(*, uow: UnitOfWork, ticket_id: int, fact: Fact, policy: Policy) -> None:
    """Adds a ticket event to its history and brings its clocks up to date (consumer side).

    A ticket met for the first time (its created event, mostly) has no facts or clocks to
    read: its history is this fact. Every event then costs: the ticket row (inserted or
    locked), the fact added with the history read back, the clocks written, the ticket
    row updated — plus the plan and calendar when the ticket has a plan.
    """
    ticket = await store.lock_ticket(uow.conn, ticket_id, fact.created_at)
    if ticket.deleted:
        return
    facts = await store.insert_fact(uow.conn, ticket_id, fact)
    latest = max(facts, key=lambda f: (f.version, f.occurred_at))
    ticket = replace(
        ticket,
        plan_id=latest.plan_id,
        priority=latest.priority,
        unit_id=latest.unit_id,
        assignee_ids=latest.assignee_ids,
    )
    await _settle(uow, ticket, facts, policy, latest=latest)


async def delete_ticket(*, uow: UnitOfWork, ticket_id: int, created_at: datetime) -> None:
    await store.lock_ticket(uow.conn, ticket_id, created_at)
    await store.mark_deleted(uow.conn, ticket_id)


async def _calendar(conn: asyncpg.Connection, calendar_id: int | None) -> Calendar:
    if calendar_id is None:
        return WALL_CLOCK
    stored = await store.get_calendar(conn, calendar_id)
    return stored.calendar if stored else WALL_CLOCK


async def _recompute(uow: UnitOfWork, ticket_id: int, policy: Policy) -> None:
    """A known ticket's clocks again from its history (its plan or calendar changed)."""
    ticket = await store.lock_ticket(uow.conn, ticket_id, policy.now())
    await _settle(uow, ticket, await store.facts_of(uow.conn, ticket_id), policy, latest=None)


async def _settle(
    uow: UnitOfWork, ticket: store.TicketRow, facts: list[Fact], policy: Policy, *, latest: Fact | None
) -> None:
    """Computes a locked ticket's clocks from its history, announces what changed and stores
    them; ``latest``: the fact to write into the ticket row too (with its worst state)."""
    conn = uow.conn
    ticket_id = ticket.ticket_id
    plan = await store.get_plan(conn, ticket.plan_id) if ticket.plan_id else None
    limits = plan.limits_for(ticket.priority) if plan else Limits()
    calendar = await _calendar(conn, plan.calendar_id if plan else None)
    old = (
        {}
        if ticket.fresh
        else {c.kind: c.state for c in await store.clocks_of(conn, [ticket_id], for_update=True)}
    )
    now = policy.now()
    clocks = compute_clocks(
        ticket_id=ticket_id,
        facts=facts,
        limits=limits,
        calendar=calendar,
        now=now,
        warning_percent=policy.warning_percent,
    )
    for c in clocks:
        await _announce(uow, c, old.get(c.kind, ClockState.OFF), ticket.unit_id, ticket.assignee_ids)
    await store.upsert_clocks(conn, clocks)  # wakes the timers when a clock has one to set
    after = worst([c.state for c in clocks])
    if after is not ticket.worst_state:
        await uow.record_event(*events.sla_state_changed(ticket_id, after, now))
    if latest is not None:
        await store.update_ticket(conn, ticket_id, latest, after)
    elif after is not ticket.worst_state:
        await store.set_worst_state(conn, ticket_id, after)


async def _announce(
    uow: UnitOfWork, clock: Clock, before: ClockState, unit_id: int, assignee_ids: tuple[int, ...]
) -> None:
    """Warning and breach events, on the change into that state only."""
    if clock.state is ClockState.BREACHED and before is not ClockState.BREACHED:
        await uow.record_event(*events.sla_breached(clock, unit_id, assignee_ids))
        uow.after_commit(metrics.BREACHES.labels(clock.kind.value).inc)
    elif clock.state is ClockState.WARNING and before not in (ClockState.WARNING, ClockState.BREACHED):
        await uow.record_event(*events.sla_warning(clock, unit_id, assignee_ids))
        uow.after_commit(metrics.WARNINGS.labels(clock.kind.value).inc)


async def _worst_changed(
    uow: UnitOfWork, ticket_id: int, before: ClockState, states: list[ClockState], now: datetime
) -> None:
    after = worst(states)
    if after is before:
        return
    await store.set_worst_state(uow.conn, ticket_id, after)
    await uow.record_event(*events.sla_state_changed(ticket_id, after, now))


# -- timers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    ticket_id: int
    kind: ClockKind
    state: ClockState
    scheduled_at: datetime  # the moment it was due to fire


async def fire_due(*, db: Database, now: datetime, batch: int = 500) -> list[Fired]:
    """Moves the clocks whose warning or due moment has come, and announces it: one transaction,
    rows claimed with SKIP LOCKED so that replicas share the work and never repeat it."""
    fired: list[Fired] = []
    async with db.unit_of_work() as uow:
        due = await store.claim_due(uow.conn, now, batch)
        if not due:
            return []
        changed = []
        for d in due:
            c = d.clock
            scheduled = c.next_fire_at or now
            new_state = fire(c, now=now)
            if new_state is not None:
                before = c.state
                c.state = new_state
                await _announce(uow, c, before, d.unit_id, d.assignee_ids)
                fired.append(Fired(c.ticket_id, c.kind, new_state, scheduled))
            changed.append(c)
        await store.set_clock_states(uow.conn, changed)
        for ticket_id, before, states in await store.worst_candidates(
            uow.conn, sorted({c.ticket_id for c in changed})
        ):
            await _worst_changed(uow, ticket_id, before, states, now)
        await uow.commit()
    return fired


async def next_fire_at(*, db: Database) -> datetime | None:
    async with db.unit_of_work() as uow:
        return await store.next_fire_at(uow.conn)


# -- reading --------------------------------------------------------------------------------


async def clocks_of(*, db: Database, ticket_ids: list[int], now: datetime) -> dict[int, list[ClockView]]:
    async with db.unit_of_work() as uow:
        clocks = await store.clocks_of(uow.conn, ticket_ids)
        calendar_ids = await store.calendars_of_tickets(uow.conn, ticket_ids)
        calendars = {cid: await _calendar(uow.conn, cid) for cid in set(calendar_ids.values())}
    out: dict[int, list[ClockView]] = {}
    for c in clocks:
        cal = calendars.get(calendar_ids.get(c.ticket_id), WALL_CLOCK)
        out.setdefault(c.ticket_id, []).append(view(c, calendar=cal, now=now))
    return out


@dataclass(frozen=True)
class ClockReport:
    kind: ClockKind
    measured: int
    met: int
    breached: int
    median_used_seconds: float | None

    @property
    def met_share(self) -> float | None:
        return round(self.met / self.measured, 4) if self.measured else None

    @property
    def breached_share(self) -> float | None:
        return round(self.breached / self.measured, 4) if self.measured else None


@dataclass(frozen=True)
class UnitReport:
    unit_id: int
    created: int
    done: int
    open: int
    clocks: list[ClockReport]


async def report(
    *, db: Database, actor: Actor, unit_id: int | None, start: datetime, end: datetime
) -> list[UnitReport]:
    units = report_units(actor, unit_id)
    if end <= start:
        raise invalid("to", "the period ends before it starts")
    if end - start > timedelta(days=3660):
        raise invalid("to", "the period is longer than ten years")
    async with db.unit_of_work() as uow:
        counts, clock_rows = await store.report(uow.conn, units, start, end)
    per_unit: dict[int, list[ClockReport]] = {}
    for r in clock_rows:
        per_unit.setdefault(r["unit_id"], []).append(
            ClockReport(
                ClockKind(r["kind"]),
                r["measured"],
                r["met"],
                r["breached"],
                float(r["median_used"]) if r["median_used"] is not None else None,
            )
        )
    return [
        UnitReport(
            r["unit_id"], r["created"], r["done"], r["created"] - r["done"], per_unit.get(r["unit_id"], [])
        )
        for r in counts
    ]
