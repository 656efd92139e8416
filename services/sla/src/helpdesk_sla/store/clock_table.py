"""Clocks and their timers: upsert, due clocks claimed once (``SKIP LOCKED``), the wake-up
channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_sla.domain import Clock, ClockKind, ClockState

TIMERS_CHANNEL = "sla_timers"


_CLOCK_COLS = "ticket_id, kind, limit_seconds, used_seconds, running_since, due_at, state, warn_at"


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
    """Writes the clocks in one statement; when one of them has a timer to set, the same
    statement wakes the timers (``NOTIFY``, delivered at commit)."""
    if not clocks:
        return
    await conn.execute(
        f"WITH saved AS (INSERT INTO clocks ({_CLOCK_COLS}, next_fire_at)"
        " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],"
        " $5::timestamptz[], $6::timestamptz[], $7::text[], $8::timestamptz[], $9::timestamptz[])"
        " ON CONFLICT (ticket_id, kind) DO UPDATE SET limit_seconds = EXCLUDED.limit_seconds,"
        " used_seconds = EXCLUDED.used_seconds, running_since = EXCLUDED.running_since,"
        " due_at = EXCLUDED.due_at, state = EXCLUDED.state, warn_at = EXCLUDED.warn_at,"
        " next_fire_at = EXCLUDED.next_fire_at RETURNING next_fire_at)"
        f" SELECT pg_notify('{TIMERS_CHANNEL}', '') FROM saved WHERE next_fire_at IS NOT NULL LIMIT 1",
        [c.ticket_id for c in clocks],
        [c.kind.value for c in clocks],
        [c.limit_seconds for c in clocks],
        [c.used_seconds for c in clocks],
        [c.running_since for c in clocks],
        [c.due_at for c in clocks],
        [c.state.value for c in clocks],
        [c.warn_at for c in clocks],
        [c.next_fire_at for c in clocks],
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
