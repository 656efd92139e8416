"""Recurring tickets: the schedule's arithmetic, and filing each due ticket exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from helpdesk_kit.db import Database
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Schedule
from helpdesk_tickets.errors import InvalidTicket, NotAllowed

HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_daily_every_three_days_counts_from_the_start() -> None:
    s = Schedule("daily", time(9, 0), date(2026, 11, 20), every_days=3)
    assert s.next_after(MONDAY) == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_weekly_on_chosen_days_at_a_local_time() -> None:
    s = Schedule(
        "weekly", time(8, 30), date(2026, 1, 1), weekdays=frozenset({0, 4}), time_zone="Europe/Moscow"
    )
    assert s.next_after(MONDAY) == datetime(2026, 11, 27, 5, 30, tzinfo=UTC)  # Friday 08:30 MSK


def test_monthly_skips_months_without_the_date_and_stops_at_the_end() -> None:
    s = Schedule("monthly", time(0, 0), date(2026, 1, 1), end=date(2027, 3, 31), month_days=frozenset({31}))
    assert s.next_after(MONDAY) == datetime(2026, 12, 31, tzinfo=UTC)
    assert s.next_after(datetime(2026, 12, 31, 1, tzinfo=UTC)) == datetime(2027, 1, 31, tzinfo=UTC)
    assert s.next_after(datetime(2027, 3, 31, 1, tzinfo=UTC)) is None


def test_a_bad_schedule_names_every_bad_field() -> None:
    with pytest.raises(InvalidTicket) as err:
        Schedule("weekly", time(9), date(2026, 2, 1), end=date(2026, 1, 1), time_zone="Mars/Base").checked()
    assert sorted(e.field for e in err.value.errors) == ["end", "time_zone", "weekdays"]


async def test_each_due_run_files_one_ticket_even_with_two_replicas(
    db: Database, units: UnitDirectory
) -> None:
    template = NewTicket("Check backups", "Weekly check", Priority.LOW, 10, [], None, "web")
    schedule = Schedule("daily", time(9, 0), date(2026, 11, 1))
    _, first = await usecases.create_recurring(
        db=db, units=units, actor=HEAD, template=template, schedule=schedule, now=MONDAY
    )
    assert first == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    later = first + timedelta(minutes=1)
    runs = await asyncio.gather(
        usecases.run_recurring(db=db, now=later), usecases.run_recurring(db=db, now=later)
    )
    made = [t for run in runs for t in run]
    assert len(made) == 1
    assert (made[0].subject, made[0].author_id, made[0].source, made[0].unit_id) == (
        "Check backups",
        2,
        "recurring",
        10,
    )
    assert await usecases.run_recurring(db=db, now=later) == []
    assert len(await usecases.run_recurring(db=db, now=later + timedelta(days=1))) == 1
    assert await db.pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'tickets.TicketCreated'") == 2


async def test_clients_cannot_set_up_recurring_tickets(db: Database, units: UnitDirectory) -> None:
    client = Actor(8, True, None)
    with pytest.raises(NotAllowed):
        await usecases.create_recurring(
            db=db,
            units=units,
            actor=client,
            template=NewTicket("x", "", Priority.LOW, 10, [], None, "web"),
            schedule=Schedule("daily", time(9), date(2026, 1, 1)),
            now=MONDAY,
        )
