"""Tickets' SQL for the ZENLIX import: a batch of tickets with their comments, history and
files under kept ids, by COPY, in the caller's transaction, with no outbox events.

The search vectors are built here as ``store`` builds them (the ``russian``
configuration over text the service lower-cased; subject A, body B, comments C).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

SOURCE = "zenlix"


@dataclass(frozen=True)
class TicketRow:
    id: int
    ref: str
    subject: str
    subject_id: int | None
    body: str
    priority: str
    state: str
    unit_id: int
    assignee_ids: list[int]
    author_id: int
    client_id: int | None
    locked_by: int | None
    done_by: int | None
    deadline: datetime | None
    source: str
    created_at: datetime
    updated_at: datetime
    sla_plan_id: int | None
    author_unit_ids: list[int]
    client_group_id: int | None
    done_at: datetime | None
    search_subject: str
    search_body: str
    search_comments: str


@dataclass(frozen=True)
class CommentRow:
    id: int
    ticket_id: int
    author_id: int
    body: str
    html: str
    created_at: datetime
    search: str


@dataclass(frozen=True)
class HistoryRow:
    id: int
    ticket_id: int
    at: datetime
    actor_id: int
    action: str
    changes: dict[str, list[object]]


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    ticket_id: int
    storage_key: str
    filename: str
    content_type: str
    size: int
    author_id: int
    created_at: datetime
    comment_id: int | None


_TICKET_COLUMNS = [
    "id",
    "ref",
    "subject",
    "subject_id",
    "body",
    "priority",
    "state",
    "unit_id",
    "assignee_ids",
    "author_id",
    "client_id",
    "locked_by",
    "done_by",
    "deadline",
    "source",
    "created_at",
    "updated_at",
    "sla_plan_id",
    "author_unit_ids",
    "client_group_id",
    "done_at",
]
_SEARCH_COLUMNS = ["search_subject", "search_body", "search_comments"]


async def refs_taken(conn: asyncpg.Connection, refs: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT ref FROM tickets WHERE ref = ANY($1::text[])", refs)
    return {r["ref"] for r in rows}


async def subject_names(conn: asyncpg.Connection) -> set[str]:
    return {r["name"] for r in await conn.fetch("SELECT name FROM subjects")}


async def insert_subjects(conn: asyncpg.Connection, rows: list[tuple[int, str]]) -> None:
    if rows:
        await conn.copy_records_to_table("subjects", records=rows, columns=["id", "name"])


async def insert_tickets(conn: asyncpg.Connection, tickets: list[TicketRow]) -> None:
    """Staged by COPY, then inserted with their search vectors computed by PostgreSQL."""
    if not tickets:
        return
    await conn.execute(
        "CREATE TEMP TABLE zenlix_tickets (LIKE tickets INCLUDING DEFAULTS,"
        " search_subject text, search_body text, search_comments text) ON COMMIT DROP"
    )
    await conn.copy_records_to_table(
        "zenlix_tickets",
        records=[tuple(getattr(t, c) for c in _TICKET_COLUMNS + _SEARCH_COLUMNS) for t in tickets],
        columns=_TICKET_COLUMNS + _SEARCH_COLUMNS,
    )
    columns = ", ".join(_TICKET_COLUMNS)
    await conn.execute(
        f"""
        INSERT INTO tickets ({columns}, comments_search, search)
        SELECT {columns}, c.v,
               setweight(to_tsvector('russian', search_subject), 'A')
               || setweight(to_tsvector('russian', search_body), 'B') || c.v
        FROM zenlix_tickets,
             LATERAL (SELECT setweight(to_tsvector('russian', search_comments), 'C') AS v) c
        """
    )
    # The report's daily aggregate counts them too: filed on their day, finished on theirs.
    await conn.execute(
        "INSERT INTO report_days (day, unit_id, subject_id, created)"
        " SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), count(*)"
        " FROM zenlix_tickets GROUP BY 1, 2, 3"
        " ON CONFLICT (day, unit_id, user_id, subject_id)"
        " DO UPDATE SET created = report_days.created + EXCLUDED.created"
    )
    await conn.execute(
        "INSERT INTO report_days (day, unit_id, user_id, done)"
        " SELECT (done_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(done_by, 0), count(*)"
        " FROM zenlix_tickets WHERE done_at IS NOT NULL GROUP BY 1, 2, 3"
        " ON CONFLICT (day, unit_id, user_id, subject_id)"
        " DO UPDATE SET done = report_days.done + EXCLUDED.done"
    )
    await conn.execute("DROP TABLE zenlix_tickets")


async def insert_comments(conn: asyncpg.Connection, comments: list[CommentRow]) -> None:
    if comments:
        await conn.copy_records_to_table(
            "comments",
            records=[(c.id, c.ticket_id, c.author_id, c.body, c.html, c.created_at) for c in comments],
            columns=["id", "ticket_id", "author_id", "body", "html", "created_at"],
        )


async def add_comment_words(conn: asyncpg.Connection, words: list[tuple[int, str]]) -> None:
    """New comments on tickets imported by an earlier run: their words join the ticket's vector."""
    await conn.executemany(
        "UPDATE tickets SET comments_search = comments_search || w.v, search = search || w.v"
        " FROM (SELECT setweight(to_tsvector('russian', $2::text), 'C') AS v) w WHERE id = $1",
        words,
    )


async def insert_history(conn: asyncpg.Connection, entries: list[HistoryRow]) -> None:
    if entries:
        await conn.copy_records_to_table(
            "history",
            records=[
                (h.id, h.ticket_id, h.at, h.actor_id, h.action, orjson.dumps(h.changes).decode())
                for h in entries
            ],
            columns=["id", "ticket_id", "at", "actor_id", "action", "changes"],
        )


async def insert_attachments(conn: asyncpg.Connection, rows: list[AttachmentRow]) -> None:
    if rows:
        await conn.copy_records_to_table(
            "attachments",
            records=[
                (
                    a.id,
                    a.ticket_id,
                    a.storage_key,
                    a.filename,
                    a.content_type,
                    a.size,
                    a.author_id,
                    a.created_at,
                    a.comment_id,
                )
                for a in rows
            ],
            columns=[
                "id",
                "ticket_id",
                "storage_key",
                "filename",
                "content_type",
                "size",
                "author_id",
                "created_at",
                "comment_id",
            ],
        )
