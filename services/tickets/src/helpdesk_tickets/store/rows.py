"""A ticket row: its columns, its search vector, and the row → ``Ticket`` mapping."""

from __future__ import annotations

import asyncpg
import orjson

from helpdesk_tickets.domain import Priority, State, Ticket

TICKET_COLUMNS = (
    "id, ref, subject, subject_id, body, priority, state, unit_id, assignee_ids, author_id,"
    " client_id, locked_by, done_by, deadline, source, version, created_at, updated_at,"
    " sla_plan_id, sla_state, author_unit_ids, client_group_id, custom_fields, done_at"
)


# Full text: the "russian" configuration stems Cyrillic words with the Russian
# stemmer and Latin ones with the English stemmer; subject weighs more than body,
# body more than comments.
SEARCH_VECTOR = (
    "setweight(to_tsvector('russian', {s}::text), 'A') || setweight(to_tsvector('russian', {b}::text), 'B')"
)


MAX_SEARCH_CHARS = 20_000


def search_text(text: str) -> str:
    """What goes into the index: lower-cased here (PostgreSQL under the C locale would
    not fold Cyrillic), and bounded so a huge body cannot bloat the vector."""
    return text[:MAX_SEARCH_CHARS].lower()


def ticket_from_row(row: asyncpg.Record) -> Ticket:
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
        sla_plan_id=row["sla_plan_id"],
        sla_state=row["sla_state"],
        author_unit_ids=list(row["author_unit_ids"]),
        client_group_id=row["client_group_id"],
        custom_fields=orjson.loads(row["custom_fields"]),
        done_at=row["done_at"],
    )
