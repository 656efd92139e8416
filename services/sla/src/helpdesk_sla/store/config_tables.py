"""SLA plans and working-time calendars (what admins configure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg
import orjson

from helpdesk_sla.calendar import Calendar, Holiday, Interval
from helpdesk_sla.domain import Limits, Plan


@dataclass(frozen=True)
class StoredCalendar:
    id: int
    name: str
    calendar: Calendar


def _calendar(r: asyncpg.Record) -> StoredCalendar:
    intervals = tuple(Interval(*iv) for iv in orjson.loads(r["intervals"]))
    holidays = tuple(
        Holiday(date.fromisoformat(a), date.fromisoformat(b)) for a, b in orjson.loads(r["holidays"])
    )
    return StoredCalendar(r["id"], r["name"], Calendar(r["time_zone"], intervals, holidays))


def _calendar_json(cal: Calendar) -> tuple[str, str]:
    return (
        orjson.dumps([[i.weekday, i.start, i.end] for i in cal.intervals]).decode(),
        orjson.dumps([[h.first.isoformat(), h.last.isoformat()] for h in cal.holidays]).decode(),
    )


async def insert_calendar(conn: asyncpg.Connection, name: str, cal: Calendar) -> StoredCalendar:
    intervals, holidays = _calendar_json(cal)
    r = await conn.fetchrow(
        "INSERT INTO calendars (name, time_zone, intervals, holidays) VALUES ($1, $2, $3::jsonb, $4::jsonb)"
        " RETURNING id, name, time_zone, intervals::text, holidays::text",
        name,
        cal.time_zone,
        intervals,
        holidays,
    )
    return _calendar(r)


async def update_calendar(
    conn: asyncpg.Connection, calendar_id: int, name: str, cal: Calendar
) -> StoredCalendar:
    intervals, holidays = _calendar_json(cal)
    r = await conn.fetchrow(
        "UPDATE calendars SET name = $2, time_zone = $3, intervals = $4::jsonb, holidays = $5::jsonb"
        " WHERE id = $1 RETURNING id, name, time_zone, intervals::text, holidays::text",
        calendar_id,
        name,
        cal.time_zone,
        intervals,
        holidays,
    )
    return _calendar(r)


async def get_calendar(
    conn: asyncpg.Connection, calendar_id: int, *, for_update: bool = False
) -> StoredCalendar | None:
    lock = " FOR UPDATE" if for_update else ""
    r = await conn.fetchrow(
        "SELECT id, name, time_zone, intervals::text, holidays::text FROM calendars WHERE id = $1" + lock,
        calendar_id,
    )
    return _calendar(r) if r else None


async def list_calendars(conn: asyncpg.Connection) -> list[StoredCalendar]:
    rows = await conn.fetch(
        "SELECT id, name, time_zone, intervals::text, holidays::text FROM calendars ORDER BY id"
    )
    return [_calendar(r) for r in rows]


def _plan(r: asyncpg.Record) -> Plan:
    limits = {p: Limits(**v) for p, v in orjson.loads(r["limits"]).items()}
    return Plan(r["id"], r["name"], r["calendar_id"], limits)


def _limits_json(limits: dict[str, Limits]) -> str:
    return orjson.dumps(
        {p: {"reaction": v.reaction, "work": v.work, "deadline": v.deadline} for p, v in limits.items()}
    ).decode()


async def insert_plan(
    conn: asyncpg.Connection, name: str, calendar_id: int | None, limits: dict[str, Limits]
) -> Plan:
    r = await conn.fetchrow(
        "INSERT INTO plans (name, calendar_id, limits) VALUES ($1, $2, $3::jsonb)"
        " RETURNING id, name, calendar_id, limits::text",
        name,
        calendar_id,
        _limits_json(limits),
    )
    return _plan(r)


async def update_plan(conn: asyncpg.Connection, plan: Plan) -> Plan:
    r = await conn.fetchrow(
        "UPDATE plans SET name = $2, calendar_id = $3, limits = $4::jsonb WHERE id = $1"
        " RETURNING id, name, calendar_id, limits::text",
        plan.id,
        plan.name,
        plan.calendar_id,
        _limits_json(plan.limits),
    )
    return _plan(r)


async def get_plan(conn: asyncpg.Connection, plan_id: int, *, for_update: bool = False) -> Plan | None:
    lock = " FOR UPDATE" if for_update else ""
    r = await conn.fetchrow(
        "SELECT id, name, calendar_id, limits::text FROM plans WHERE id = $1" + lock, plan_id
    )
    return _plan(r) if r else None


async def list_plans(conn: asyncpg.Connection) -> list[Plan]:
    rows = await conn.fetch("SELECT id, name, calendar_id, limits::text FROM plans ORDER BY id")
    return [_plan(r) for r in rows]


async def tickets_of_plan(conn: asyncpg.Connection, plan_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT t.ticket_id FROM tickets t WHERE t.plan_id = $1 AND NOT t.deleted"
        " AND EXISTS (SELECT 1 FROM clocks c"
        " WHERE c.ticket_id = t.ticket_id AND c.running_since IS NOT NULL)",
        plan_id,
    )
    return [r["ticket_id"] for r in rows]
