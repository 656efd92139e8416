"""The tickets schema's queries: the only module of the service with SQL.

Creating a ticket is the hot path: the ticket and its first history entry go in
one statement (a CTE), so a create costs one round trip besides the outbox row.
"""

from __future__ import annotations

import asyncpg
import orjson

from helpdesk_tickets.domain import NewTicket, Priority, State, Ticket

_COLUMNS = (
    "id, ref, subject, subject_id, body, priority, state, unit_id, assignee_ids, author_id,"
    " client_id, locked_by, done_by, deadline, source, version, created_at, updated_at"
)


def _ticket(row: asyncpg.Record) -> Ticket:
    return Ticket(
        id=row["id"],
        number=row["id"],
        ref=row["ref"],
        subject=row["subject"],
        subject_id=row["subject_id"],
        body=row["body"],
        priority=Priority(row["priority"]),
        state=State(row["state"]),
        unit_id=row["unit_id"],
        assignee_ids=list(row["assignee_ids"]),
        author_id=row["author_id"],
        client_id=row["client_id"],
        locked_by=row["locked_by"],
        done_by=row["done_by"],
        deadline=row["deadline"],
        source=row["source"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert_ticket(conn: asyncpg.Connection, new: NewTicket, *, ref: str, author_id: int) -> Ticket:
    row = await conn.fetchrow(
        f"""
        WITH t AS (
            INSERT INTO tickets (ref, subject, body, priority, unit_id, assignee_ids, author_id,
                                 client_id, source)
            VALUES ($1, $2, $3, $4, $5, $6::bigint[], $7, $8, $9)
            RETURNING {_COLUMNS}
        ), h AS (
            INSERT INTO history (ticket_id, actor_id, action, changes)
            SELECT id, author_id, 'created', $10::jsonb FROM t
        )
        SELECT {_COLUMNS} FROM t
        """,
        ref,
        new.subject,
        new.body,
        new.priority.value,
        new.unit_id,
        new.assignee_ids,
        author_id,
        new.client_id,
        new.source,
        orjson.dumps({"state": [None, State.NEW.value]}).decode(),
    )
    return _ticket(row)


async def ticket_by_id(conn: asyncpg.Connection, ticket_id: int) -> Ticket | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    return _ticket(row) if row else None


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
