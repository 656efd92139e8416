"""What sla knows of each ticket: its row (locked while its clocks change) and its facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_sla.domain import ClockState, Fact, TicketState


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
    # Inserted by this transaction: sla had not seen the ticket, so it has neither facts
    # nor clocks yet (whatever writes those writes the ticket row first, in the same
    # transaction, and a deletion keeps the row).
    fresh: bool = False


_TICKET_COLS = "ticket_id, version, plan_id, priority, unit_id, assignee_ids, worst_state, deleted"
_FACT_COLS = "version, occurred_at, state, priority, plan_id, unit_id, assignee_ids, created_at"


def _ticket(r: asyncpg.Record, *, fresh: bool = False) -> TicketRow:
    return TicketRow(
        r["ticket_id"],
        r["version"],
        r["plan_id"],
        r["priority"],
        r["unit_id"],
        tuple(r["assignee_ids"]),
        ClockState(r["worst_state"]),
        r["deleted"],
        fresh,
    )


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int, created_at: datetime) -> TicketRow:
    """The ticket's row, created if new, locked for this transaction (serialises its events).

    A new ticket costs one round trip: the row this transaction inserts is its own until
    the commit (another inserting it waits on the key). A known one costs two.
    """
    r = await conn.fetchrow(
        f"INSERT INTO tickets (ticket_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        f" RETURNING {_TICKET_COLS}",
        ticket_id,
        created_at,
    )
    if r is not None:
        return _ticket(r, fresh=True)
    r = await conn.fetchrow(f"SELECT {_TICKET_COLS} FROM tickets WHERE ticket_id = $1 FOR UPDATE", ticket_id)
    return _ticket(r)


async def update_ticket(
    conn: asyncpg.Connection, ticket_id: int, latest: Fact, worst_state: ClockState
) -> None:
    """The ticket as its latest fact says, and the worst state of its clocks, in one statement."""
    await conn.execute(
        "UPDATE tickets SET version = $2, plan_id = $3, priority = $4, unit_id = $5, assignee_ids = $6,"
        " state = $7, created_at = $8, worst_state = $9 WHERE ticket_id = $1",
        ticket_id,
        latest.version,
        latest.plan_id,
        latest.priority,
        latest.unit_id,
        list(latest.assignee_ids),
        latest.state.value,
        latest.created_at,
        worst_state.value,
    )


async def set_worst_state(conn: asyncpg.Connection, ticket_id: int, state: ClockState) -> None:
    await conn.execute("UPDATE tickets SET worst_state = $2 WHERE ticket_id = $1", ticket_id, state.value)


async def mark_deleted(conn: asyncpg.Connection, ticket_id: int) -> None:
    await conn.execute("UPDATE tickets SET deleted = true WHERE ticket_id = $1", ticket_id)
    await conn.execute("DELETE FROM clocks WHERE ticket_id = $1", ticket_id)
    await conn.execute("DELETE FROM ticket_facts WHERE ticket_id = $1", ticket_id)


def _fact(r: asyncpg.Record) -> Fact:
    return Fact(
        r["version"],
        r["occurred_at"],
        TicketState(r["state"]),
        r["priority"],
        r["plan_id"],
        r["unit_id"],
        tuple(r["assignee_ids"]),
        r["created_at"],
    )


def _in_order(facts: list[Fact]) -> list[Fact]:
    return sorted(facts, key=lambda f: (f.version, f.occurred_at))


async def insert_fact(conn: asyncpg.Connection, ticket_id: int, f: Fact) -> list[Fact]:
    """Adds a fact (a copy of one already there is dropped) and returns the ticket's facts
    with it, oldest first, in one round trip.

    The statement's read sees the table as it was before its own insert, so the new
    row comes from the insert's ``RETURNING`` (nothing when it was a copy).
    """
    rows = await conn.fetch(
        f"WITH new AS (INSERT INTO ticket_facts (ticket_id, {_FACT_COLS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
        f" RETURNING {_FACT_COLS})"
        f" SELECT {_FACT_COLS} FROM ticket_facts WHERE ticket_id = $1"
        f" UNION ALL SELECT {_FACT_COLS} FROM new",
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
    return _in_order([_fact(r) for r in rows])


async def facts_of(conn: asyncpg.Connection, ticket_id: int) -> list[Fact]:
    rows = await conn.fetch(
        f"SELECT {_FACT_COLS} FROM ticket_facts WHERE ticket_id = $1 ORDER BY version, occurred_at",
        ticket_id,
    )
    return [_fact(r) for r in rows]
