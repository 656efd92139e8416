"""Sla's part of the ZENLIX 2 import: SLA plans, and every imported ticket's history and clocks.

Plans keep ZENLIX's ids (tickets refer to them as ``sla_plan_id``); limits are
ZENLIX's seconds, 0 meaning "not set". For each ticket tickets imports (the reader
decides, for both), ZENLIX's log is replayed into facts (create, take, release,
complete, reopen, forward, archive at their original times) and the clocks are
computed from them as of now with the service's own rules: a done or archived ticket
gets stopped clocks (met or breached), an open one running clocks that the timers
watch from now on. The facts get versions up to 1, the version tickets gives an
imported ticket, so its next real event (version 2) comes after them.

No warning or breach is announced for the past: the only events are
``SlaStateChanged`` for tickets whose worst clock is not "off", which nobody is
notified of and which gives tickets its ``sla_state`` column.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from helpdesk_kit import imports
from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_sla import events, store
from helpdesk_sla.domain import Clock, ClockState, Fact, Limits, Plan, TicketState, compute_clocks, worst
from helpdesk_sla.store import zenlix as zs
from helpdesk_sla.usecases import Policy
from helpdesk_zenlix import records
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import ImportRefused, Report, Tally

SOURCE = zs.SOURCE
_STATE_OF_ACTION = {
    "created": TicketState.NEW,
    "locked": TicketState.IN_WORK,
    "unlocked": TicketState.NEW,
    "completed": TicketState.DONE,
    "reopened": TicketState.IN_WORK,
    "forwarded": TicketState.NEW,
    "archived": TicketState.ARCHIVED,
}


def facts_of(t: records.Ticket, log: list[records.LogEntry]) -> list[Fact]:
    """The ticket's state changes from its log, ending in the state its columns say."""
    moves: list[tuple[datetime, TicketState]] = [(t.created_at, TicketState.NEW)]
    for e in sorted(log, key=lambda e: (e.at, e.id)):
        state = _STATE_OF_ACTION.get(e.action)
        if state is not None and e.action != "created":
            moves.append((max(e.at, t.created_at), state))
    final = TicketState(t.state)
    if moves[-1][1] is not final:
        # The log does not tell how the ticket got here (ZENLIX wrote none, or it is broken).
        at = t.done_at if final in (TicketState.DONE, TicketState.ARCHIVED) and t.done_at else t.updated_at
        moves.append((max(at, moves[-1][0]), final))
    n = len(moves)
    return [
        Fact(
            version=i + 2 - n,
            occurred_at=at,
            state=state,
            priority=t.priority,
            plan_id=t.sla_plan_id,
            unit_id=t.unit_id,
            assignee_ids=t.assignee_ids,
            created_at=t.created_at,
        )
        for i, (at, state) in enumerate(moves)
    ]


def _plan(p: records.SlaPlan) -> Plan:
    return Plan(
        id=p.id,
        name=p.name[:200] or f"Plan {p.id}",
        calendar_id=None,
        limits={
            prio: Limits(reaction=lim.reaction, work=lim.work, deadline=lim.deadline)
            for prio, lim in p.limits.items()
        },
    )


async def import_zenlix(
    *, db: Database, reader: Reader, dry_run: bool, policy: Policy, batch: int = 1000
) -> Report:
    started = time.monotonic()
    report = Report("sla", dry_run)
    zenlix_plans = await asyncio.to_thread(reader.sla_plans)
    async with db.unit_of_work() as uow:
        taken = await imports.strangers(uow.conn, SOURCE, "plan", "plans", [p.id for p in zenlix_plans])
        if taken:
            raise ImportRefused("sla", [f"plans id {i} is taken here" for i in taken])
        plans = await _plans(uow, zenlix_plans, report["plans"])
        await imports.advance_sequence(uow.conn, "plans", max((p.id for p in zenlix_plans), default=1))
        done = await imports.marked(uow.conn, SOURCE, "ticket")
        if not dry_run:
            await uow.commit()
    tally = report["tickets"]
    bundles: Iterator[list[records.Bundle]] = reader.bundles(batch)
    pending: asyncio.Future[Any] = asyncio.ensure_future(asyncio.to_thread(next, bundles, None))
    while (chunk := await pending) is not None:
        pending = asyncio.ensure_future(asyncio.to_thread(next, bundles, None))
        await _batch(db, chunk, plans, done, policy, tally, dry_run)
    report.seconds = time.monotonic() - started
    return report


async def _plans(uow: UnitOfWork, zenlix_plans: list[records.SlaPlan], tally: Tally) -> dict[int, Plan]:
    done = await imports.marked(uow.conn, SOURCE, "plan")
    tally.read = len(zenlix_plans)
    plans = {p.id: _plan(p) for p in zenlix_plans}
    new = [plans[p.id] for p in zenlix_plans if p.id not in done]
    tally.already = len(zenlix_plans) - len(new)
    await zs.insert_plans(uow.conn, new)
    await imports.mark(uow.conn, SOURCE, "plan", [p.id for p in new])
    tally.imported = len(new)
    return plans


def _clocks(
    t: records.Ticket,
    log: list[records.LogEntry],
    plans: dict[int, Plan],
    policy: Policy,
    now: datetime,
    tally: Tally,
) -> tuple[list[Fact], list[Clock], Fact]:
    """The ticket's facts, its clocks as of ``now``, and the fact sla keeps as its latest."""
    plan = plans.get(t.sla_plan_id) if t.sla_plan_id else None
    history = facts_of(t, log)
    ticket_clocks = compute_clocks(
        ticket_id=t.id,
        facts=history,
        limits=plan.limits_for(t.priority) if plan else Limits(),
        now=now,
        warning_percent=policy.warning_percent,
    )
    latest = history[-1]
    if t.sla_plan_id and plan is None:
        tally.change("SLA plan that does not exist: no clocks")
        latest = replace(latest, plan_id=None)
    return history, ticket_clocks, latest


async def _batch(
    db: Database,
    chunk: list[records.Bundle],
    plans: dict[int, Plan],
    done: set[int],
    policy: Policy,
    tally: Tally,
    dry_run: bool,
) -> None:
    now = policy.now()
    rows: list[tuple[int, Fact, ClockState]] = []
    facts: list[tuple[int, Fact]] = []
    clocks: list[Clock] = []
    for b in chunk:
        if b.ticket is None:
            if b.problem:
                tally.read += 1
                tally.skip(b.problem)
            continue
        tally.read += 1
        t = b.ticket
        if t.id in done:
            tally.already += 1
            continue
        history, ticket_clocks, latest = _clocks(t, b.log, plans, policy, now, tally)
        rows.append((t.id, latest, worst(c.state for c in ticket_clocks)))
        facts += [(t.id, f) for f in history]
        clocks += ticket_clocks
    async with db.unit_of_work() as uow:
        await zs.insert_tickets(uow.conn, rows, facts, clocks)
        await imports.mark(uow.conn, SOURCE, "ticket", [r[0] for r in rows])
        for ticket_id, _, state in rows:
            if state is not ClockState.OFF:
                await uow.record_event(*events.sla_state_changed(ticket_id, state, now))
        if any(c.next_fire_at for c in clocks):
            await store.wake_timers(uow.conn)
        if not dry_run:
            await uow.commit()
    tally.imported += len(rows)
