"""The sla schema's queries: the only module of the service with SQL."""

from __future__ import annotations

import asyncpg

from helpdesk_sla.domain import Clock, ClockKind, ClockState


async def insert_clocks(conn: asyncpg.Connection, clocks: list[Clock]) -> None:
    await conn.executemany(
        "INSERT INTO clocks (ticket_id, kind, limit_seconds, used_seconds, running_since, due_at, state)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        [
            (
                c.ticket_id,
                c.kind.value,
                c.limit_seconds,
                c.used_seconds,
                c.running_since,
                c.due_at,
                c.state.value,
            )
            for c in clocks
        ],
    )


async def clocks_of(conn: asyncpg.Connection, ticket_ids: list[int]) -> list[Clock]:
    rows = await conn.fetch(
        "SELECT ticket_id, kind, limit_seconds, used_seconds, running_since, due_at, state"
        " FROM clocks WHERE ticket_id = ANY($1::bigint[]) ORDER BY ticket_id, kind",
        ticket_ids,
    )
    return [
        Clock(
            r["ticket_id"],
            ClockKind(r["kind"]),
            r["limit_seconds"],
            r["used_seconds"],
            r["running_since"],
            r["due_at"],
            ClockState(r["state"]),
        )
        for r in rows
    ]
