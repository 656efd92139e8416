"""The sla schema's queries: the only module of the service with SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from helpdesk_sla.calendar import Calendar, Holiday, Interval
from helpdesk_sla.domain import (
    Clock,
    ClockKind,
    ClockState,
    Fact,
    Limits,
    Plan,
    TicketState,
)

TIMERS_CHANNEL = "sla_timers"

_CLOCK_COLS = "ticket_id, kind, limit_seconds, used_seconds, running_since, due_at, state, warn_at"


# -- calendars ---------------------------------------------------------------------------


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


# -- plans -------------------------------------------------------------------------------


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


# -- tickets and their history -------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    ticket_id: int
    version: int
    plan_id: int | None
    priority: str
    unit_id: int
    assignee_ids: tuple[int, ...]
    worst_state: ClockState
    deleted: bool


def _ticket(r: asyncpg.Record) -> TicketRow:
    return TicketRow(
        r["ticket_id"],
        r["version"],
        r["plan_id"],
        r["priority"],
        r["unit_id"],
        tuple(r["assignee_ids"]),
        ClockState(r["worst_state"]),
        r["deleted"],
    )


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int, created_at: datetime) -> TicketRow:
    """The ticket's row, created if new, locked for this transaction (serialises its events)."""
    await conn.execute(
        "INSERT INTO tickets (ticket_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ticket_id,
        created_at,
    )
    r = await conn.fetchrow(
        "SELECT ticket_id, version, plan_id, priority, unit_id, assignee_ids, worst_state, deleted"
        " FROM tickets WHERE ticket_id = $1 FOR UPDATE",
        ticket_id,
    )
    return _ticket(r)


async def update_ticket(conn: asyncpg.Connection, ticket_id: int, latest: Fact) -> None:
    await conn.execute(
        "UPDATE tickets SET version = $2, plan_id = $3, priority = $4, unit_id = $5, assignee_ids = $6,"
        " state = $7, created_at = $8 WHERE ticket_id = $1",
        ticket_id,
        latest.version,
        latest.plan_id,
        latest.priority,
        latest.unit_id,
        list(latest.assignee_ids),
        latest.state.value,
        latest.created_at,
    )


async def set_worst_state(conn: asyncpg.Connection, ticket_id: int, state: ClockState) -> None:
    await conn.execute("UPDATE tickets SET worst_state = $2 WHERE ticket_id = $1", ticket_id, state.value)


async def mark_deleted(conn: asyncpg.Connection, ticket_id: int) -> None:
    await conn.execute("UPDATE tickets SET deleted = true WHERE ticket_id = $1", ticket_id)
    await conn.execute("DELETE FROM clocks WHERE ticket_id = $1", ticket_id)
    await conn.execute("DELETE FROM ticket_facts WHERE ticket_id = $1", ticket_id)


async def insert_fact(conn: asyncpg.Connection, ticket_id: int, f: Fact) -> None:
    await conn.execute(
        "INSERT INTO ticket_facts (ticket_id, version, occurred_at, state, priority, plan_id, unit_id,"
        " assignee_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        ticket_id,
        f.version,
        f.occurred_at,
        f.state.value,
        f.priority,
        f.plan_id,
        f.unit_id,
        list(f.assignee_ids),
        f.created_at,
    )


async def facts_of(conn: asyncpg.Connection, ticket_id: int) -> list[Fact]:
    rows = await conn.fetch(
        "SELECT version, occurred_at, state, priority, plan_id, unit_id, assignee_ids, created_at"
        " FROM ticket_facts WHERE ticket_id = $1 ORDER BY version, occurred_at",
        ticket_id,
    )
    return [
        Fact(
            r["version"],
            r["occurred_at"],
            TicketState(r["state"]),
            r["priority"],
            r["plan_id"],
            r["unit_id"],
            tuple(r["assignee_ids"]),
            r["created_at"],
        )
        for r in rows
    ]


# -- clocks ------------------------------------------------------------------------------


def _clock(r: asyncpg.Record) -> Clock:
    return Clock(
        r["ticket_id"],
        ClockKind(r["kind"]),
        r["limit_seconds"],
        r["used_seconds"],
        r["running_since"],
        r["due_at"],
        ClockState(r["state"]),
        r["warn_at"],
    )


async def upsert_clocks(conn: asyncpg.Connection, clocks: list[Clock]) -> None:
    await conn.executemany(
        f"INSERT INTO clocks ({_CLOCK_COLS}, next_fire_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (ticket_id, kind) DO UPDATE SET limit_seconds = EXCLUDED.limit_seconds,"
        " used_seconds = EXCLUDED.used_seconds, running_since = EXCLUDED.running_since,"
        " due_at = EXCLUDED.due_at, state = EXCLUDED.state, warn_at = EXCLUDED.warn_at,"
        " next_fire_at = EXCLUDED.next_fire_at",
        [
            (
                c.ticket_id,
                c.kind.value,
                c.limit_seconds,
                c.used_seconds,
                c.running_since,
                c.due_at,
                c.state.value,
                c.warn_at,
                c.next_fire_at,
            )
            for c in clocks
        ],
    )


async def clocks_of(
    conn: asyncpg.Connection, ticket_ids: list[int], *, for_update: bool = False
) -> list[Clock]:
    lock = " FOR UPDATE" if for_update else ""
    rows = await conn.fetch(
        f"SELECT {_CLOCK_COLS} FROM clocks WHERE ticket_id = ANY($1::bigint[]) ORDER BY ticket_id, kind"
        + lock,
        ticket_ids,
    )
    return [_clock(r) for r in rows]


async def calendars_of_tickets(conn: asyncpg.Connection, ticket_ids: list[int]) -> dict[int, int | None]:
    rows = await conn.fetch(
        "SELECT t.ticket_id, p.calendar_id FROM tickets t LEFT JOIN plans p ON p.id = t.plan_id"
        " WHERE t.ticket_id = ANY($1::bigint[])",
        ticket_ids,
    )
    return {r["ticket_id"]: r["calendar_id"] for r in rows}


@dataclass(frozen=True)
class DueClock:
    clock: Clock
    unit_id: int
    assignee_ids: tuple[int, ...]


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[DueClock]:
    """The clocks whose next timer has come, locked with their ticket rows; rows another replica
    or a consumer holds are skipped (the same lock order as the consumer's: no deadlock)."""
    rows = await conn.fetch(
        f"SELECT {', '.join('c.' + c.strip() for c in _CLOCK_COLS.split(','))}, t.unit_id, t.assignee_ids"
        " FROM clocks c JOIN tickets t USING (ticket_id)"
        " WHERE c.next_fire_at <= $1 ORDER BY c.next_fire_at LIMIT $2 FOR UPDATE OF c, t SKIP LOCKED",
        now,
        limit,
    )
    return [DueClock(_clock(r), r["unit_id"], tuple(r["assignee_ids"])) for r in rows]


async def set_clock_states(conn: asyncpg.Connection, clocks: list[Clock]) -> None:
    await conn.executemany(
        "UPDATE clocks SET state = $3, next_fire_at = $4 WHERE ticket_id = $1 AND kind = $2",
        [(c.ticket_id, c.kind.value, c.state.value, c.next_fire_at) for c in clocks],
    )


async def worst_candidates(
    conn: asyncpg.Connection, ticket_ids: list[int]
) -> list[tuple[int, ClockState, list[ClockState]]]:
    rows = await conn.fetch(
        "SELECT t.ticket_id, t.worst_state, array_agg(c.state) AS states FROM tickets t"
        " JOIN clocks c USING (ticket_id) WHERE t.ticket_id = ANY($1::bigint[])"
        " GROUP BY t.ticket_id, t.worst_state",
        ticket_ids,
    )
    return [
        (r["ticket_id"], ClockState(r["worst_state"]), [ClockState(s) for s in r["states"]]) for r in rows
    ]


async def next_fire_at(conn: asyncpg.Connection) -> datetime | None:
    """The head of the next-fire index: one index probe, whatever the number of open clocks."""
    value: datetime | None = await conn.fetchval(
        "SELECT next_fire_at FROM clocks WHERE next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1"
    )
    return value


async def wake_timers(conn: asyncpg.Connection) -> None:
    await conn.execute(f"NOTIFY {TIMERS_CHANNEL}")


# -- report ------------------------------------------------------------------------------


async def report(
    conn: asyncpg.Connection, unit_ids: list[int] | None, start: datetime, end: datetime
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Per unit: tickets created in ``[start, end)``, done, open; per unit and clock: met, breached,
    clocks with a limit, median used seconds."""
    scope = "NOT t.deleted AND t.created_at >= $1 AND t.created_at < $2"
    args: list[Any] = [start, end]
    if unit_ids is not None:
        scope += " AND t.unit_id = ANY($3::bigint[])"
        args.append(unit_ids)
    counts = await conn.fetch(
        "SELECT t.unit_id, count(*) AS created,"
        " count(*) FILTER (WHERE t.state IN ('done', 'archived')) AS done"
        f" FROM tickets t WHERE {scope} GROUP BY t.unit_id ORDER BY t.unit_id",
        *args,
    )
    clocks = await conn.fetch(
        "SELECT t.unit_id, c.kind, count(*) FILTER (WHERE c.limit_seconds IS NOT NULL) AS measured,"
        " count(*) FILTER (WHERE c.state = 'met') AS met,"
        " count(*) FILTER (WHERE c.state = 'breached') AS breached,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY c.used_seconds) AS median_used"
        f" FROM tickets t JOIN clocks c USING (ticket_id) WHERE {scope}"
        " GROUP BY t.unit_id, c.kind ORDER BY t.unit_id, c.kind",
        *args,
    )
    return counts, clocks
