"""The tickets schema's queries: the only module of the service with SQL.

Creating a ticket is the hot path: the ticket and its first history entry go in
one statement (a CTE), so a create costs one round trip besides the outbox row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

from helpdesk_tickets.domain import (
    Actor,
    Attachment,
    Comment,
    HistoryEntry,
    ListQuery,
    NewTicket,
    Priority,
    Role,
    State,
    Subject,
    Ticket,
)
from helpdesk_tickets.fields import CustomField

_COLUMNS = (
    "id, ref, subject, subject_id, body, priority, state, unit_id, assignee_ids, author_id,"
    " client_id, locked_by, done_by, deadline, source, version, created_at, updated_at,"
    " sla_plan_id, sla_state, author_unit_ids, client_group_id, custom_fields"
)


# Full text: the "russian" configuration stems Cyrillic words with the Russian
# stemmer and Latin ones with the English stemmer; subject weighs more than body,
# body more than comments.
_SEARCH = (
    "setweight(to_tsvector('russian', {s}::text), 'A') || setweight(to_tsvector('russian', {b}::text), 'B')"
)
MAX_SEARCH_CHARS = 20_000


def search_text(text: str) -> str:
    """What goes into the index: lower-cased here (PostgreSQL under the C locale would
    not fold Cyrillic), and bounded so a huge body cannot bloat the vector."""
    return text[:MAX_SEARCH_CHARS].lower()


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
        sla_plan_id=row["sla_plan_id"],
        sla_state=row["sla_state"],
        author_unit_ids=list(row["author_unit_ids"]),
        client_group_id=row["client_group_id"],
        custom_fields=orjson.loads(row["custom_fields"]),
    )


async def insert_ticket(
    conn: asyncpg.Connection,
    new: NewTicket,
    *,
    ref: str,
    author_id: int,
    author_unit_ids: list[int],
    client_group_id: int | None,
) -> Ticket:
    row = await conn.fetchrow(
        f"""
        WITH t AS (
            INSERT INTO tickets (ref, subject, body, priority, unit_id, assignee_ids, author_id,
                                 client_id, source, subject_id, sla_plan_id, deadline,
                                 author_unit_ids, client_group_id, custom_fields, search)
            VALUES ($1, $2, $3, $4, $5, $6::bigint[], $7, $8, $9, $11, $12, $13,
                    $14::bigint[], $15, $16::jsonb, {_SEARCH.format(s="$17", b="$18")})
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
        new.subject_id,
        new.sla_plan_id,
        new.deadline,
        author_unit_ids,
        client_group_id,
        orjson.dumps(new.custom_fields).decode(),
        search_text(new.subject),
        search_text(new.body),
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


async def ticket_for_update(conn: asyncpg.Connection, ticket_id: int) -> Ticket | None:
    """The ticket, row-locked until the transaction ends: concurrent changes queue up."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM tickets WHERE id = $1 FOR UPDATE", ticket_id)
    return _ticket(row) if row else None


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
                             ELSE {_SEARCH.format(s="$12", b="$13")} || comments_search END,
               version = version + 1, updated_at = now()
        WHERE id = $1
        RETURNING {_COLUMNS}
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
    return _ticket(row)


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


# --- subjects ---------------------------------------------------------------------------


async def subject_by_id(conn: asyncpg.Connection, subject_id: int) -> Subject | None:
    row = await conn.fetchrow("SELECT id, name, sla_plan_id FROM subjects WHERE id = $1", subject_id)
    return Subject(id=row["id"], name=row["name"], sla_plan_id=row["sla_plan_id"]) if row else None


async def subjects(conn: asyncpg.Connection) -> list[Subject]:
    rows = await conn.fetch("SELECT id, name, sla_plan_id FROM subjects ORDER BY name")
    return [Subject(id=r["id"], name=r["name"], sla_plan_id=r["sla_plan_id"]) for r in rows]


async def insert_subject(conn: asyncpg.Connection, name: str, sla_plan_id: int | None) -> Subject | None:
    """The new subject, or None when the name is taken."""
    row = await conn.fetchrow(
        "INSERT INTO subjects (name, sla_plan_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
        " RETURNING id, name, sla_plan_id",
        name,
        sla_plan_id,
    )
    return Subject(id=row["id"], name=row["name"], sla_plan_id=row["sla_plan_id"]) if row else None


async def update_subject(
    conn: asyncpg.Connection, subject_id: int, name: str, sla_plan_id: int | None
) -> Subject | None:
    """Raises asyncpg.UniqueViolationError when the name is taken; None when no such subject."""
    row = await conn.fetchrow(
        "UPDATE subjects SET name = $2, sla_plan_id = $3 WHERE id = $1 RETURNING id, name, sla_plan_id",
        subject_id,
        name,
        sla_plan_id,
    )
    return Subject(id=row["id"], name=row["name"], sla_plan_id=row["sla_plan_id"]) if row else None


async def delete_subject(conn: asyncpg.Connection, subject_id: int) -> bool:
    """Tickets keep their subject's text (and its id, now pointing nowhere)."""
    deleted = await conn.fetchval("DELETE FROM subjects WHERE id = $1 RETURNING id", subject_id)
    return deleted is not None


# --- custom fields ----------------------------------------------------------------------

_FIELD = "id, name, kind, options, required, client_visible, position"


def _field(r: asyncpg.Record) -> CustomField:
    return CustomField(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        options=tuple(r["options"]),
        required=r["required"],
        client_visible=r["client_visible"],
        position=r["position"],
    )


async def custom_fields(conn: asyncpg.Connection) -> list[CustomField]:
    """The live (not deleted) definitions, by position then id."""
    rows = await conn.fetch(
        f"SELECT {_FIELD} FROM custom_fields WHERE deleted_at IS NULL ORDER BY position, id"
    )
    return [_field(r) for r in rows]


async def custom_field_for_update(conn: asyncpg.Connection, field_id: int) -> CustomField | None:
    row = await conn.fetchrow(
        f"SELECT {_FIELD} FROM custom_fields WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", field_id
    )
    return _field(row) if row else None


async def insert_custom_field(conn: asyncpg.Connection, f: CustomField) -> CustomField:
    row = await conn.fetchrow(
        "INSERT INTO custom_fields (name, kind, options, required, client_visible, position)"
        f" VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING {_FIELD}",
        f.name,
        f.kind,
        list(f.options),
        f.required,
        f.client_visible,
        f.position,
    )
    return _field(row)


async def save_custom_field(conn: asyncpg.Connection, f: CustomField) -> CustomField:
    row = await conn.fetchrow(
        "UPDATE custom_fields SET name = $2, kind = $3, options = $4::text[], required = $5,"
        f" client_visible = $6, position = $7 WHERE id = $1 RETURNING {_FIELD}",
        f.id,
        f.name,
        f.kind,
        list(f.options),
        f.required,
        f.client_visible,
        f.position,
    )
    return _field(row)


async def delete_custom_field(conn: asyncpg.Connection, field_id: int) -> bool:
    """Marks the field deleted; tickets keep their values (and history) as they were."""
    deleted = await conn.fetchval(
        "UPDATE custom_fields SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id",
        field_id,
    )
    return deleted is not None


# --- comments ---------------------------------------------------------------------------


async def insert_comment(
    conn: asyncpg.Connection, ticket_id: int, author_id: int, body: str, html: str
) -> Comment:
    """Adds the comment and its words to the ticket's search vector."""
    row = await conn.fetchrow(
        """
        WITH c AS (
            INSERT INTO comments (ticket_id, author_id, body, html) VALUES ($1, $2, $3, $4)
            RETURNING id, ticket_id, author_id, body, html, created_at
        ), s AS (
            UPDATE tickets SET comments_search = comments_search || w.v, search = search || w.v
            FROM (SELECT setweight(to_tsvector('russian', $5::text), 'C') AS v) w
            WHERE id = $1
        )
        SELECT * FROM c
        """,
        ticket_id,
        author_id,
        body,
        html,
        search_text(body),
    )
    return _comment(row)


def _comment(r: asyncpg.Record, attached: tuple[Attachment, ...] = ()) -> Comment:
    return Comment(
        id=r["id"],
        ticket_id=r["ticket_id"],
        author_id=r["author_id"],
        body=r["body"],
        html=r["html"],
        created_at=r["created_at"],
        attachments=attached,
    )


async def comments(conn: asyncpg.Connection, ticket_id: int) -> list[Comment]:
    """The ticket's comments, oldest first, each with its attachments (two queries)."""
    rows = await conn.fetch(
        "SELECT id, ticket_id, author_id, body, html, created_at FROM comments"
        " WHERE ticket_id = $1 ORDER BY id",
        ticket_id,
    )
    by_comment: dict[int, list[Attachment]] = {}
    for a in await attachments(conn, ticket_id):
        if a.comment_id is not None:
            by_comment.setdefault(a.comment_id, []).append(a)
    return [_comment(r, tuple(by_comment.get(r["id"], ()))) for r in rows]


async def attachments_for_update(conn: asyncpg.Connection, attachment_ids: list[int]) -> list[Attachment]:
    rows = await conn.fetch(
        f"SELECT {_ATTACHMENT} FROM attachments WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
        attachment_ids,
    )
    return [_attachment(r) for r in rows]


async def link_attachments(
    conn: asyncpg.Connection, comment_id: int, attachment_ids: list[int]
) -> list[Attachment]:
    rows = await conn.fetch(
        f"UPDATE attachments SET comment_id = $1 WHERE id = ANY($2::bigint[]) RETURNING {_ATTACHMENT}",
        comment_id,
        attachment_ids,
    )
    return sorted((_attachment(r) for r in rows), key=lambda a: a.id)


async def commenter_ids(conn: asyncpg.Connection, ticket_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT DISTINCT author_id FROM comments WHERE ticket_id = $1 ORDER BY author_id", ticket_id
    )
    return [r["author_id"] for r in rows]


# --- settings ---------------------------------------------------------------------------


async def settings_section(conn: asyncpg.Connection, section: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT value FROM settings WHERE section = $1", section)
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value


async def save_settings_section(conn: asyncpg.Connection, section: str, value: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO settings (section, value) VALUES ($1, $2::jsonb)"
        " ON CONFLICT (section) DO UPDATE SET value = EXCLUDED.value",
        section,
        orjson.dumps(value).decode(),
    )


# --- SLA state, archive -----------------------------------------------------------------


async def set_sla_state(conn: asyncpg.Connection, ticket_id: int, state: str) -> None:
    await conn.execute("UPDATE tickets SET sla_state = $2 WHERE id = $1", ticket_id, state)


async def archive_due(conn: asyncpg.Connection, *, days: int, limit: int) -> list[Ticket]:
    """Archives up to ``limit`` tickets done for ``days`` days; rows another replica is
    archiving right now are skipped, never archived twice."""
    rows = await conn.fetch(
        f"""
        WITH due AS (
            SELECT id FROM tickets
            WHERE state = 'done' AND done_at <= now() - make_interval(days => $1)
            ORDER BY done_at LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE tickets t SET state = 'archived', version = version + 1, updated_at = now()
        FROM due WHERE t.id = due.id
        RETURNING {", ".join("t." + c.strip() for c in _COLUMNS.split(","))}
        """,
        days,
        limit,
    )
    return [_ticket(r) for r in rows]


async def backdate_done(conn: asyncpg.Connection, ticket_id: int, days: int) -> None:
    """For tests and the benchmark seed: pretend the ticket was done ``days`` ago."""
    await conn.execute(
        "UPDATE tickets SET done_at = now() - make_interval(days => $2) WHERE id = $1",
        ticket_id,
        days,
    )


# --- lists ------------------------------------------------------------------------------

SORTS = {
    "-id": ("id", "DESC"),
    "id": ("id", "ASC"),
    "-updated_at": ("updated_at", "DESC"),
    "updated_at": ("updated_at", "ASC"),
}


class _Params:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _visible(actor: Actor, p: _Params, *, received_only: bool) -> list[str] | None:
    """SPEC §1 as SQL: what the actor sees, as alternatives (OR), each one an index can
    serve; None = everything. ``received_only`` leaves out "he wrote it" (the outbox)."""
    if actor.is_client:
        me = p(actor.user_id)
        terms = [f"author_id = {me}", f"client_id = {me}"]
        if actor.is_client_group_lead and actor.client_group_id:
            terms.append(f"client_group_id = {p(actor.client_group_id)}")
        return terms
    if actor.role is Role.DEPARTMENT_HEAD:
        return None
    me = p(actor.user_id)
    unit_list = sorted(actor.unit_ids)
    # One unit (the usual case): "unit_id = $n" lets a (unit_id, id DESC) index give the order.
    in_units = (
        f"unit_id = {p(next(iter(actor.unit_ids)))}"
        if len(actor.unit_ids) == 1
        else f"unit_id = ANY({p(unit_list)}::bigint[])"
    )
    terms = [f"assignee_ids @> ARRAY[{me}]::bigint[]"]
    if not received_only:
        terms.append(f"author_id = {me}")
    if actor.role is Role.UNIT_HEAD:
        terms += [in_units, f"author_unit_ids && {p(unit_list)}::bigint[]"]
    else:
        terms.append(f"({in_units} AND assignee_ids = '{{}}')")
    return terms


def _branch_order(term: str, q: ListQuery, order: str) -> str:
    """``id + 0`` instead of ``id`` keeps PostgreSQL from walking the primary key backwards
    hoping to meet LIMIT matches soon (a full scan when they are rare); it then reads
    the branch's few rows from its GIN index (arrays, full text) and sorts them."""
    if order.startswith("id ") and (q.text or any(op in term for op in ("@>", "&&", "ANY("))):
        return order.replace("id ", "id + 0 ", 1)
    return order


async def list_tickets(conn: asyncpg.Connection, actor: Actor, q: ListQuery) -> list[Ticket]:  # noqa: C901
    """One page in the order of ``q.sort``, visibility enforced in the WHERE clause.

    Visibility is an OR of alternatives (assigned to me, sent to my unit as a whole,
    ...). One OR over a million rows defeats the indexes, so each alternative is its
    own indexed, ordered, limited branch; the branches' union is ordered and cut again.
    """
    p = _Params()
    where: list[str] = []
    if q.box == "outbox":
        terms: list[str] | None = [f"author_id = {p(actor.user_id)}"]
        where.append("state <> 'archived'")
    elif q.box == "archive":
        terms = _visible(actor, p, received_only=False)
        where.append("state = 'archived'")
    else:
        terms = _visible(actor, p, received_only=not actor.is_client)
        where.append("state <> 'archived'")
    if q.states:
        where.append(f"state = ANY({p(q.states)}::text[])")
    if q.priorities:
        where.append(f"priority = ANY({p(q.priorities)}::text[])")
    if q.unit_id:
        where.append(f"unit_id = {p(q.unit_id)}")
    if q.assignee_id:
        where.append(f"assignee_ids @> ARRAY[{p(q.assignee_id)}]::bigint[]")
    if q.locked == "me":
        where.append(f"locked_by = {p(actor.user_id)}")
    elif q.locked == "others":
        where.append(f"locked_by <> {p(actor.user_id)}")
    if q.sla_states:
        where.append(f"sla_state = ANY({p(q.sla_states)}::text[])")
    if q.text:
        where.append(f"search @@ websearch_to_tsquery('russian', {p(search_text(q.text))})")
    column, direction = SORTS[q.sort]
    if q.after is not None:
        op = "<" if direction == "DESC" else ">"
        if column == "id":
            where.append(f"id {op} {p(q.after[1])}")
        else:
            where.append(f"({column}, id) {op} ({p(q.after[0])}::timestamptz, {p(q.after[1])})")
    order = f"{column} {direction}" + (f", id {direction}" if column != "id" else "")
    limit = p(q.limit)
    common = " AND ".join(where)
    if terms is None or len(terms) == 1:
        condition = common if terms is None else f"{terms[0]} AND {common}"
        sql = f"SELECT {_COLUMNS} FROM tickets WHERE {condition} ORDER BY {order} LIMIT {limit}"
    else:
        keys = "id" if column == "id" else f"id, {column}"
        branches = " UNION ".join(
            f"(SELECT {keys} FROM tickets WHERE {term} AND {common}"
            f" ORDER BY {_branch_order(term, q, order)} LIMIT {limit})"
            for term in terms
        )
        sql = (
            f"SELECT {_COLUMNS} FROM tickets WHERE id IN"
            f" (SELECT id FROM ({branches}) u ORDER BY {order} LIMIT {limit})"
            f" ORDER BY {order}"
        )
    rows = await conn.fetch(sql, *p.values)
    return [_ticket(r) for r in rows]


# --- attachments ------------------------------------------------------------------------

_ATTACHMENT = "id, ticket_id, storage_key, filename, content_type, size, author_id, created_at, comment_id"


def _attachment(r: asyncpg.Record) -> Attachment:
    return Attachment(**{k: r[k] for k in _ATTACHMENT.split(", ")})


async def insert_attachment(
    conn: asyncpg.Connection,
    *,
    ticket_id: int,
    storage_key: str,
    filename: str,
    content_type: str,
    size: int,
    author_id: int,
) -> Attachment:
    row = await conn.fetchrow(
        "INSERT INTO attachments (ticket_id, storage_key, filename, content_type, size, author_id)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_ATTACHMENT}",
        ticket_id,
        storage_key,
        filename,
        content_type,
        size,
        author_id,
    )
    return _attachment(row)


async def attachment_by_id(conn: asyncpg.Connection, attachment_id: int) -> Attachment | None:
    row = await conn.fetchrow(f"SELECT {_ATTACHMENT} FROM attachments WHERE id = $1", attachment_id)
    return _attachment(row) if row else None


async def attachments(conn: asyncpg.Connection, ticket_id: int) -> list[Attachment]:
    rows = await conn.fetch(
        f"SELECT {_ATTACHMENT} FROM attachments WHERE ticket_id = $1 ORDER BY id", ticket_id
    )
    return [_attachment(r) for r in rows]


# --- recurring tickets ------------------------------------------------------------------


async def insert_recurring(
    conn: asyncpg.Connection,
    *,
    author: dict[str, Any],
    template: dict[str, Any],
    schedule: dict[str, Any],
    next_run_at: datetime | None,
) -> int:
    recurring_id: int = await conn.fetchval(
        "INSERT INTO recurring_tickets (author, template, schedule, next_run_at)"
        " VALUES ($1::jsonb, $2::jsonb, $3::jsonb, $4) RETURNING id",
        orjson.dumps(author).decode(),
        orjson.dumps(template).decode(),
        orjson.dumps(schedule).decode(),
        next_run_at,
    )
    return recurring_id


async def due_recurring(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Due schedules, row-locked; those another replica is running are skipped."""
    rows = await conn.fetch(
        "SELECT id, author, template, schedule, next_run_at FROM recurring_tickets"
        " WHERE next_run_at <= $1 AND active ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [
        {
            "id": r["id"],
            "author": orjson.loads(r["author"]),
            "template": orjson.loads(r["template"]),
            "schedule": orjson.loads(r["schedule"]),
            "next_run_at": r["next_run_at"],
        }
        for r in rows
    ]


async def set_next_run(conn: asyncpg.Connection, recurring_id: int, next_run_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE recurring_tickets SET next_run_at = $2 WHERE id = $1", recurring_id, next_run_at
    )


_RECURRING = "id, author, template, schedule, next_run_at, active, created_at"


def _recurring(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": r["id"],
        "author": orjson.loads(r["author"]),
        "template": orjson.loads(r["template"]),
        "schedule": orjson.loads(r["schedule"]),
        "next_run_at": r["next_run_at"],
        "active": r["active"],
        "created_at": r["created_at"],
    }


async def recurring_list(conn: asyncpg.Connection, author_id: int | None) -> list[dict[str, Any]]:
    """All recurring tickets (``author_id`` None) or those one user set up, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_RECURRING} FROM recurring_tickets"
        " WHERE $1::bigint IS NULL OR (author->>'user_id')::bigint = $1 ORDER BY id",
        author_id,
    )
    return [_recurring(r) for r in rows]


async def recurring_for_update(conn: asyncpg.Connection, recurring_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_RECURRING} FROM recurring_tickets WHERE id = $1 FOR UPDATE", recurring_id
    )
    return _recurring(row) if row else None


async def set_recurring_active(
    conn: asyncpg.Connection, recurring_id: int, active: bool, next_run_at: datetime | None
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"UPDATE recurring_tickets SET active = $2, next_run_at = $3 WHERE id = $1 RETURNING {_RECURRING}",
        recurring_id,
        active,
        next_run_at,
    )
    return _recurring(row)


async def delete_recurring(conn: asyncpg.Connection, recurring_id: int) -> None:
    await conn.execute("DELETE FROM recurring_tickets WHERE id = $1", recurring_id)


# --- dashboard counters -----------------------------------------------------------------


async def counters(conn: asyncpg.Connection, actor: Actor) -> dict[str, int]:
    """Counts over the actor's inbox (open tickets: new, in work), visibility in SQL.

    Like the lists, each visibility alternative is its own indexed branch; their ids are
    UNIONed (a ticket matching two alternatives counts once) and counted in one pass.
    """
    p = _Params()
    me = p(actor.user_id)
    terms = _visible(actor, p, received_only=not actor.is_client)
    open_ = "state IN ('new', 'in_work')"
    counts = (
        "count(*) FILTER (WHERE state = 'new') AS new,"
        " count(*) FILTER (WHERE state = 'in_work') AS in_work,"
        f" count(*) FILTER (WHERE state = 'in_work' AND locked_by = {me}) AS mine,"
        " count(*) FILTER (WHERE sla_state = 'warning') AS sla_warning,"
        " count(*) FILTER (WHERE sla_state = 'breached') AS sla_breached"
    )
    if terms is None or len(terms) == 1:
        condition = open_ if terms is None else f"{terms[0]} AND {open_}"
        sql = f"SELECT {counts} FROM tickets WHERE {condition}"
    else:
        # Each branch brings the counted columns along, so no second lookup by id is needed;
        # UNION (not ALL) still counts a ticket matching two alternatives once.
        # Array branches read their GIN index and filter: "state || ''" keeps the planner from
        # ANDing in tickets_open_idx, i.e. every open ticket's entry (300,000 at a million).
        no_index = "(state || '') IN ('new', 'in_work')"
        branches = " UNION ".join(
            f"SELECT id, state, locked_by, sla_state FROM tickets WHERE {term}"
            f" AND {no_index if ('@>' in term or '&&' in term) else open_}"
            for term in terms
        )
        sql = f"SELECT {counts} FROM ({branches}) u"
    row = await conn.fetchrow(sql, *p.values)
    return {k: int(row[k]) for k in ("new", "in_work", "mine", "sla_warning", "sla_breached")}
