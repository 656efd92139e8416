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
