"""Sla's ZENLIX import: plans under their ids, tickets' facts from the log, clocks as of now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from helpdesk_devstack.testing.zenlix import Source
from helpdesk_kit.db import Database
from helpdesk_sla import zenlix
from helpdesk_sla.domain import TicketState
from helpdesk_sla.usecases import Policy, apply_fact
from helpdesk_zenlix import records
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report

from .conftest import HandClock


async def _import(db: Database, source: Source, clock: HandClock, *, dry_run: bool = False) -> Report:
    with Reader(source.url) as reader:
        return await zenlix.import_zenlix(
            db=db, reader=reader, dry_run=dry_run, policy=Policy(now=clock), batch=30
        )


async def _rows(db: Database, sql: str) -> list[dict[str, object]]:
    async with db.unit_of_work() as uow:
        return [dict(r) for r in await uow.conn.fetch(sql)]


async def test_plans_and_every_imported_ticket_come_over_with_clocks(
    db: Database, zenlix: Source, clock: HandClock
) -> None:
    report = await _import(db, zenlix, clock)
    assert report.balanced()
    assert report["plans"].imported == 3
    assert report["tickets"].imported == zenlix.expected.tickets
    assert report["tickets"].skipped_total == zenlix.expected.tickets_rejected
    [plan] = await _rows(db, "SELECT limits::text AS limits FROM plans WHERE id = 3")
    assert '"work": null' in str(plan["limits"])  # ZENLIX's 0 = not set
    counts = await _rows(db, "SELECT count(*) AS n FROM clocks")
    assert counts[0]["n"] == 3 * zenlix.expected.tickets
    again = await _import(db, zenlix, clock)
    assert again["tickets"].imported == 0 and again["tickets"].already == zenlix.expected.tickets


async def test_done_tickets_have_stopped_clocks_and_open_ones_are_watched(
    db: Database, zenlix: Source, clock: HandClock
) -> None:
    await _import(db, zenlix, clock)
    done = await _rows(
        db,
        "SELECT c.state, c.running_since FROM clocks c JOIN tickets t USING (ticket_id)"
        " WHERE t.state IN ('done', 'archived') AND t.plan_id IS NOT NULL",
    )
    assert done and all(r["running_since"] is None and r["state"] in ("met", "breached", "off") for r in done)
    running = await _rows(
        db,
        "SELECT c.state FROM clocks c JOIN tickets t USING (ticket_id)"
        " WHERE t.state = 'in_work' AND t.plan_id IS NOT NULL AND c.kind = 'deadline'"
        " AND c.limit_seconds IS NOT NULL",
    )
    assert running and all(r["state"] in ("ok", "warning", "breached") for r in running)
    events = await _rows(db, "SELECT DISTINCT subject FROM outbox")
    assert events == [{"subject": "sla.SlaStateChanged"}]  # no warning or breach for the past


async def test_a_dry_run_writes_nothing(db: Database, zenlix: Source, clock: HandClock) -> None:
    report = await _import(db, zenlix, clock, dry_run=True)
    assert report["tickets"].imported == zenlix.expected.tickets
    assert await _rows(db, "SELECT * FROM tickets") == []
    assert await _rows(db, "SELECT * FROM plans") == []


def _ticket(state: str, created: datetime) -> records.Ticket:
    return records.Ticket(
        id=7, ref="r", subject="s", body="b", priority="normal", state=state, locked_by=None, done_by=None,
        done_at=None, unit_id=1, assignee_ids=(), author_id=1, client_id=None, created_at=created,
        updated_at=created + timedelta(hours=5), deadline=None, sla_plan_id=1, source="web",
    )  # fmt: skip


def _entry(i: int, action: str, at: datetime) -> records.LogEntry:
    return records.LogEntry(i, 7, at, 1, action, action, (), None)


def test_facts_follow_the_log_and_end_at_version_one() -> None:
    t0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
    log = [_entry(1, "created", t0), _entry(2, "locked", t0 + timedelta(hours=1)), _entry(3, "commented", t0)]
    facts = zenlix.facts_of(_ticket("in_work", t0), log)
    assert [(f.state, f.version) for f in facts] == [(TicketState.NEW, 0), (TicketState.IN_WORK, 1)]
    closed = zenlix.facts_of(_ticket("done", t0), log)  # the log lacks the "ok": the columns win
    assert closed[-1].state is TicketState.DONE and closed[-1].version == 1


async def test_the_next_real_event_of_an_imported_ticket_counts_after_the_past(
    db: Database, new_zenlix: Callable[..., Source], clock: HandClock
) -> None:
    source = new_zenlix(tickets=10, comments=5, users=12, broken=False)
    await _import(db, source, clock)
    [t] = await _rows(db, "SELECT * FROM tickets ORDER BY ticket_id LIMIT 1")
    target = TicketState.DONE if t["state"] == "in_work" else TicketState.IN_WORK
    later = clock.advance(60)
    async with db.unit_of_work() as uow:
        fact = zenlix.facts_of(_ticket("new", t["created_at"]), [])[-1]  # type: ignore[arg-type]
        moved = replace(fact, version=2, occurred_at=later, state=target)
        await apply_fact(uow=uow, ticket_id=int(t["ticket_id"]), fact=moved, policy=Policy(now=clock))
        await uow.commit()
    [row] = await _rows(db, f"SELECT state, version FROM tickets WHERE ticket_id = {t['ticket_id']}")
    assert row == {"state": target.value, "version": 2}
