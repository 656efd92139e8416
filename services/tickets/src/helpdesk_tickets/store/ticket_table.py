"""One ticket's rows: create (with its first history entry), read, lock, save, history,
delete, the SLA verdict, archiving.

Creating a ticket is the hot path: two round trips. The first takes the ticket's id and
time (and looks up its subject); the second writes the ticket, its first history entry, the
report's count and the outbox row in one statement, which is its own transaction — no BEGIN
and COMMIT round trips. The event is built from the ticket before it is written, which is
why the id is taken first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from google.protobuf.message import Message

from helpdesk_kit.db import Database, fetchrow_with_events
from helpdesk_tickets.domain import ARCHIVE, HistoryEntry, NewTicket, State, Subject, Ticket
from helpdesk_tickets.store.rows import SEARCH_VECTOR, TICKET_COLUMNS, search_text, ticket_from_row


@dataclass(frozen=True)
class Reserved:
    """A new ticket's id and creation time, taken before it is written (``reserve_ticket``),
    and the subject of the list it names, if any."""

    id: int
    at: datetime
    subject: Subject | None


async def reserve_ticket(pool: asyncpg.Pool, *, subject_id: int | None, subject_name: str) -> Reserved:
    """The next ticket id and the time, with the subject looked up by id (or by a typed name
    whatever its case and surrounding spaces) in the same round trip. An id not used in the
    end is a gap in the numbers, as a rolled-back insert leaves one."""
    arg: object
    if subject_id or not subject_name.strip():
        # By id; with neither an id nor a name, ``id = NULL`` finds no subject.
        lookup, arg = "SELECT id, name, sla_plan_id FROM subjects WHERE id = $1", subject_id or None
    else:
        lookup = (
            "SELECT id, name, sla_plan_id FROM subjects WHERE lower(btrim(name)) = lower(btrim($1))"
            " ORDER BY id LIMIT 1"
        )
        arg = subject_name
    row = await pool.fetchrow(
        "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS ticket_id, now() AS at,"
        f" s.id, s.name, s.sla_plan_id FROM (SELECT 1) one LEFT JOIN ({lookup}) s ON true",
        arg,
    )
    subject = Subject(row["id"], row["name"], row["sla_plan_id"]) if row["id"] is not None else None
    return Reserved(id=row["ticket_id"], at=row["at"], subject=subject)


@dataclass(frozen=True)
class NewRow:
    """What a new ticket's row holds besides the ticket as filed (``NewTicket``)."""

    ref: str
    author_id: int
    author_unit_ids: list[int]
    client_group_id: int | None
    reserved: Reserved | None = None  # else its id and time are taken as it is written


# The ticket, its first history entry and the report's daily count (appended: report_queries).
_INSERT = f"""
    t AS (
        INSERT INTO tickets (id, created_at, updated_at, ref, subject, body, priority, unit_id,
                             assignee_ids, author_id, client_id, source, subject_id, sla_plan_id,
                             deadline, author_unit_ids, client_group_id, custom_fields, search)
        VALUES ($19, $20, $20, $1, $2, $3, $4, $5, $6::bigint[], $7, $8, $9, $11, $12, $13,
                $14::bigint[], $15, $16::jsonb, {SEARCH_VECTOR.format(s="$17", b="$18")})
        RETURNING {TICKET_COLUMNS}
    ), h AS (
        INSERT INTO history (ticket_id, actor_id, action, changes)
        SELECT id, author_id, 'created', $10::jsonb FROM t
    ), d AS (
        INSERT INTO report_day_changes (day, unit_id, subject_id, created)
        SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), 1 FROM t
    )"""


def _insert_args(new: NewTicket, row: NewRow, reserved: Reserved) -> list[Any]:
    return [
        row.ref,
        new.subject,
        new.body,
        new.priority.value,
        new.unit_id,
        new.assignee_ids,
        row.author_id,
        new.client_id,
        new.source,
        orjson.dumps({"state": [None, State.NEW.value]}).decode(),
        new.subject_id,
        new.sla_plan_id,
        new.deadline,
        row.author_unit_ids,
        row.client_group_id,
        orjson.dumps(new.custom_fields).decode(),
        search_text(new.subject),
        search_text(new.body),
        reserved.id,
        reserved.at,
    ]


async def insert_ticket(conn: asyncpg.Connection, new: NewTicket, row: NewRow) -> Ticket:
    """The ticket in the caller's transaction, one statement (two without ``row.reserved``)."""
    reserved = row.reserved
    if reserved is None:
        taken = await conn.fetchrow(
            "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id, now() AS at"
        )
        reserved = Reserved(id=taken["id"], at=taken["at"], subject=None)
    stored = await conn.fetchrow(
        f"WITH {_INSERT} SELECT {TICKET_COLUMNS} FROM t", *_insert_args(new, row, reserved)
    )
    return ticket_from_row(stored)


async def insert_ticket_with_event(
    db: Database, new: NewTicket, row: NewRow, event: tuple[str, Message]
) -> Ticket:
    """The ticket and its event in one statement, its own transaction: one round trip. The
    event is built beforehand from the ticket as it will be stored (``new_ticket``)."""
    assert row.reserved is not None  # the event names the ticket's id
    stored = await fetchrow_with_events(
        db, _INSERT, f"SELECT {TICKET_COLUMNS} FROM t", _insert_args(new, row, row.reserved), [event]
    )
    assert stored is not None  # an INSERT … RETURNING of one row
    return ticket_from_row(stored)


def new_ticket(new: NewTicket, row: NewRow) -> Ticket:
    """The ticket exactly as ``insert_ticket_with_event`` will store it (the defaults of the
    table's columns for a new ticket: state new, version 1, nobody working on it)."""
    assert row.reserved is not None
    return Ticket(
        id=row.reserved.id,
        number=row.reserved.id,
        ref=row.ref,
        subject=new.subject,
        body=new.body,
        priority=new.priority,
        state=State.NEW,
        unit_id=new.unit_id,
        author_id=row.author_id,
        client_id=new.client_id,
        created_at=row.reserved.at,
        updated_at=row.reserved.at,
        assignee_ids=list(new.assignee_ids),
        subject_id=new.subject_id,
        deadline=new.deadline,
        source=new.source,
        sla_plan_id=new.sla_plan_id,
        author_unit_ids=list(row.author_unit_ids),
        client_group_id=row.client_group_id,
        custom_fields=dict(new.custom_fields),
    )


async def ticket_by_id(conn: asyncpg.Connection, ticket_id: int) -> Ticket | None:
    row = await conn.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    return ticket_from_row(row) if row else None


async def ticket_by_ref(conn: asyncpg.Connection, ref: str) -> Ticket | None:
    row = await conn.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE ref = $1", ref)
    return ticket_from_row(row) if row else None


async def claim_idempotency_key(conn: asyncpg.Connection, actor_id: int, key: str) -> int | None:
    """Locks the key for this transaction; returns the ticket it already made, if any.

    The advisory lock makes two concurrent requests with one key wait for each other,
    so the second sees the first one's ticket instead of creating another.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"idem:{actor_id}:{key}")
    ticket_id: int | None = await conn.fetchval(
        "SELECT ticket_id FROM idempotency_keys WHERE actor_id = $1 AND key = $2", actor_id, key
    )
    return ticket_id


async def save_idempotency_key(conn: asyncpg.Connection, actor_id: int, key: str, ticket_id: int) -> None:
    await conn.execute(
        "INSERT INTO idempotency_keys (actor_id, key, ticket_id) VALUES ($1, $2, $3)",
        actor_id,
        key,
        ticket_id,
    )


async def ticket_for_update(conn: asyncpg.Connection, ticket_id: int) -> Ticket | None:
    """The ticket, row-locked until the transaction ends: concurrent changes queue up."""
    row = await conn.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 FOR UPDATE", ticket_id)
    return ticket_from_row(row) if row else None


async def save_ticket(conn: asyncpg.Connection, t: Ticket) -> Ticket:
    """Writes the changeable fields, bumps the version; returns the stored ticket."""
    row = await conn.fetchrow(
        f"""
        UPDATE tickets SET subject = $2, subject_id = $3, body = $4, priority = $5, state = $6,
               unit_id = $7, assignee_ids = $8::bigint[], locked_by = $9, done_by = $10,
               sla_plan_id = $11, custom_fields = $14::jsonb, deadline = $15,
               done_at = CASE WHEN $6 = 'done' THEN COALESCE(done_at, now())
                                                 ELSE NULL END,
               search = CASE WHEN subject = $2 AND body = $4 THEN search
                             ELSE {SEARCH_VECTOR.format(s="$12", b="$13")} || comments_search END,
               version = version + 1, updated_at = now()
        WHERE id = $1
        RETURNING {TICKET_COLUMNS}
        """,
        t.id,
        t.subject,
        t.subject_id,
        t.body,
        t.priority.value,
        t.state.value,
        t.unit_id,
        t.assignee_ids,
        t.locked_by,
        t.done_by,
        t.sla_plan_id,
        search_text(t.subject),
        search_text(t.body),
        orjson.dumps(t.custom_fields).decode(),
        t.deadline,
    )
    return ticket_from_row(row)


async def add_history(
    conn: asyncpg.Connection, ticket_id: int, actor_id: int, action: str, changes: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO history (ticket_id, actor_id, action, changes) VALUES ($1, $2, $3, $4::jsonb)",
        ticket_id,
        actor_id,
        action,
        orjson.dumps(changes).decode(),
    )


async def history(
    conn: asyncpg.Connection, ticket_id: int, *, after_id: int = 0, limit: int = 1000
) -> list[HistoryEntry]:
    """Oldest first, the entries after ``after_id`` (served by ``history_ticket_idx``)."""
    rows = await conn.fetch(
        "SELECT id, at, actor_id, action, changes FROM history WHERE ticket_id = $1 AND id > $2"
        " ORDER BY id LIMIT $3",
        ticket_id,
        after_id,
        limit,
    )
    return [
        HistoryEntry(
            id=r["id"],
            at=r["at"],
            actor_id=r["actor_id"],
            action=r["action"],
            changes=orjson.loads(r["changes"]),
        )
        for r in rows
    ]


async def delete_ticket(conn: asyncpg.Connection, ticket_id: int) -> None:
    await conn.execute("DELETE FROM tickets WHERE id = $1", ticket_id)


async def ticket_exists(conn: asyncpg.Connection, ticket_id: int) -> bool:
    return bool(await conn.fetchval("SELECT true FROM tickets WHERE id = $1", ticket_id))


async def set_sla_state(conn: asyncpg.Connection, ticket_id: int, state: str) -> None:
    await conn.execute("UPDATE tickets SET sla_state = $2 WHERE id = $1", ticket_id, state)


async def archive_due(conn: asyncpg.Connection, *, days: int, limit: int) -> list[Ticket]:
    """Archives up to ``limit`` tickets done for ``days`` days; rows another replica is
    archiving right now are skipped, never archived twice."""
    rows = await conn.fetch(
        f"""
        WITH due AS (
            SELECT id FROM tickets
            WHERE state = '{State.DONE}' AND done_at <= now() - make_interval(days => $1)
            ORDER BY done_at LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE tickets t SET state = '{ARCHIVE.target}', version = version + 1, updated_at = now()
        FROM due WHERE t.id = due.id
        RETURNING {", ".join("t." + c.strip() for c in TICKET_COLUMNS.split(","))}
        """,
        days,
        limit,
    )
    return [ticket_from_row(r) for r in rows]


async def done_at(conn: asyncpg.Connection, ticket_id: int) -> datetime | None:
    """When the ticket was last completed (None while it is not done)."""
    value: datetime | None = await conn.fetchval("SELECT done_at FROM tickets WHERE id = $1", ticket_id)
    return value


async def backdate_done(conn: asyncpg.Connection, ticket_id: int, days: int) -> None:
    """For tests and the benchmark seed: pretend the ticket was done ``days`` ago."""
    await conn.execute(
        "UPDATE tickets SET done_at = now() - make_interval(days => $2) WHERE id = $1",
        ticket_id,
        days,
    )
