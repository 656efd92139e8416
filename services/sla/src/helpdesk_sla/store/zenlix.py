"""Sla's SQL for the ZENLIX import: plans, tickets, their facts and clocks by COPY."""

from __future__ import annotations

import asyncpg

from helpdesk_sla.domain import Clock, ClockState, Fact, Plan
from helpdesk_sla.store.config_tables import _limits_json

SOURCE = "zenlix"


async def insert_plans(conn: asyncpg.Connection, plans: list[Plan]) -> None:
    if plans:
        await conn.executemany(
            "INSERT INTO plans (id, name, calendar_id, limits) VALUES ($1, $2, $3, $4::jsonb)",
            [(p.id, p.name, p.calendar_id, _limits_json(p.limits)) for p in plans],
        )


async def insert_tickets(
    conn: asyncpg.Connection,
    tickets: list[tuple[int, Fact, ClockState]],
    facts: list[tuple[int, Fact]],
    clocks: list[Clock],
) -> None:
    """(ticket id, its latest fact, its worst clock state), every fact, every clock."""
    await conn.copy_records_to_table(
        "tickets",
        records=[
            (
                ticket_id,
                f.version,
                f.plan_id,
                f.priority,
                f.unit_id,
                list(f.assignee_ids),
                f.state.value,
                f.created_at,
                worst.value,
            )
            for ticket_id, f, worst in tickets
        ],
        columns=[
            "ticket_id",
            "version",
            "plan_id",
            "priority",
            "unit_id",
            "assignee_ids",
            "state",
            "created_at",
            "worst_state",
        ],
    )
    await conn.copy_records_to_table(
        "ticket_facts",
        records=[
            (
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
            for ticket_id, f in facts
        ],
        columns=[
            "ticket_id",
            "version",
            "occurred_at",
            "state",
            "priority",
            "plan_id",
            "unit_id",
            "assignee_ids",
            "created_at",
        ],
    )
    await conn.copy_records_to_table(
        "clocks",
        records=[
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
        columns=[
            "ticket_id",
            "kind",
            "limit_seconds",
            "used_seconds",
            "running_since",
            "due_at",
            "state",
            "warn_at",
            "next_fire_at",
        ],
    )
