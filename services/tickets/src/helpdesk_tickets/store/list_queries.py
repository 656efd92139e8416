"""Lists and dashboard counters: visibility in the WHERE clause, one indexed branch per
alternative.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from helpdesk_tickets.domain import Actor, ListQuery, Role, Ticket
from helpdesk_tickets.store.open_count_table import all_open_counters
from helpdesk_tickets.store.rows import TICKET_COLUMNS, search_text, ticket_from_row

SORTS = {
    "-id": ("id", "DESC"),
    "id": ("id", "ASC"),
    "-updated_at": ("updated_at", "DESC"),
    "updated_at": ("updated_at", "ASC"),
}


class Params:
    """Query parameters as they are added: each call returns its placeholder (``$n``)."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def visible(actor: Actor, p: Params, *, received_only: bool) -> list[str] | None:
    """``domain.can_see`` as SQL (docs/product/roles.md § Visibility): the entries of a
    ticket's ``domain.audience`` that can name this actor, as alternatives (OR), each one an
    index can serve; None = everything. ``received_only`` leaves out "he wrote it" (the
    outbox). The role table in tests/contracts/ticket_visibility.json holds both to it."""
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


_NUMBER = re.compile(r"^\s*#?(\d{1,18})\s*$")


def _text_condition(text: str, p: Params) -> str:
    """Full text; a number (``18684`` or ``#18684``) also finds the ticket of that number."""
    words = f"search @@ websearch_to_tsquery('russian', {p(search_text(text.replace('#', ' ')))})"
    number = _NUMBER.match(text)
    return f"(id = {p(int(number.group(1)))} OR {words})" if number else words


def _branch_order(term: str, q: ListQuery, order: str) -> str:
    """``id + 0`` instead of ``id`` keeps PostgreSQL from walking the primary key backwards
    hoping to meet LIMIT matches soon (a full scan when they are rare); it then reads
    the branch's few rows from its GIN index (arrays, full text) and sorts them."""
    if order.startswith("id ") and (q.text or any(op in term for op in ("@>", "&&", "ANY("))):
        return order.replace("id ", "id + 0 ", 1)
    return order


def _conditions(actor: Actor, q: ListQuery, p: Params) -> tuple[list[str] | None, list[str]]:
    """The visibility alternatives (None: everything) and the conditions every row must meet."""
    where: list[str] = []
    if q.box == "outbox":
        terms: list[str] | None = [f"author_id = {p(actor.user_id)}"]
        where.append("state <> 'archived'")
    elif q.box == "archive":
        terms = visible(actor, p, received_only=False)
        where.append("state = 'archived'")
    else:
        terms = visible(actor, p, received_only=not actor.is_client)
        where.append("state <> 'archived'")
    return terms, where + filters(actor, q, p)


def filters(actor: Actor, q: ListQuery, p: Params) -> list[str]:
    """The list's own filters (state, priority, unit, ...), which every row must meet."""
    where: list[str] = []
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
        where.append(_text_condition(q.text, p))
    return where


async def list_tickets(conn: asyncpg.Connection, actor: Actor, q: ListQuery) -> list[Ticket]:
    """One page in the order of ``q.sort``, visibility enforced in the WHERE clause.

    Visibility is an OR of alternatives (assigned to me, sent to my unit as a whole,
    ...). One OR over a million rows defeats the indexes, so each alternative is its
    own indexed, ordered, limited branch; the branches' union is ordered and cut again.
    """
    p = Params()
    terms, where = _conditions(actor, q, p)
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
        sql = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {condition} ORDER BY {order} LIMIT {limit}"
    else:
        keys = "id" if column == "id" else f"id, {column}"
        branches = " UNION ".join(
            f"(SELECT {keys} FROM tickets WHERE {term} AND {common}"
            f" ORDER BY {_branch_order(term, q, order)} LIMIT {limit})"
            for term in terms
        )
        sql = (
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN"
            f" (SELECT id FROM ({branches}) u ORDER BY {order} LIMIT {limit})"
            f" ORDER BY {order}"
        )
    rows = await conn.fetch(sql, *p.values)
    return [ticket_from_row(r) for r in rows]


async def count_tickets(conn: asyncpg.Connection, actor: Actor, q: ListQuery, cap: int) -> int:
    """How many tickets the list has (without its cursor), counting at most ``cap + 1``: past
    the cap the exact figure is not worth reading a large part of the table for."""
    p = Params()
    terms, where = _conditions(actor, q, p)
    common = " AND ".join(where)
    limit = p(cap + 1)
    if terms is None or len(terms) == 1:
        condition = common if terms is None else f"{terms[0]} AND {common}"
        sql = f"SELECT count(*) FROM (SELECT 1 FROM tickets WHERE {condition} LIMIT {limit}) c"
    else:
        branches = " UNION ".join(
            f"(SELECT id FROM tickets WHERE {term} AND {common} LIMIT {limit})" for term in terms
        )
        sql = f"SELECT count(*) FROM (SELECT id FROM ({branches}) u LIMIT {limit}) c"
    total: int = await conn.fetchval(sql, *p.values)
    return total


async def counters(conn: asyncpg.Connection, actor: Actor) -> dict[str, int]:
    """Counts over the actor's inbox (open tickets: new, in work), visibility in SQL.

    A role that sees every open ticket reads the counts the database keeps (counting
    300,000 index entries per request was the slow part at a million tickets). For the
    others, like the lists, each visibility alternative is its own indexed branch; their ids
    are UNIONed (a ticket matching two alternatives counts once) and counted in one pass.
    """
    p = Params()
    me = p(actor.user_id)
    terms = visible(actor, p, received_only=not actor.is_client)
    if terms is None:
        return await all_open_counters(conn, actor.user_id)
    open_ = "state IN ('new', 'in_work')"
    counts = (
        "count(*) FILTER (WHERE state = 'new') AS new,"
        " count(*) FILTER (WHERE state = 'in_work') AS in_work,"
        f" count(*) FILTER (WHERE state = 'in_work' AND locked_by = {me}) AS mine,"
        " count(*) FILTER (WHERE sla_state = 'warning') AS sla_warning,"
        " count(*) FILTER (WHERE sla_state = 'breached') AS sla_breached"
    )
    if len(terms) == 1:
        sql = f"SELECT {counts} FROM tickets WHERE {terms[0]} AND {open_}"
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
