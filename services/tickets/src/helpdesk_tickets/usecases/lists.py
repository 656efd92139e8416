"""The inbox, outbox and archive lists (filters, search, keyset pages), the change feed of
``updated_since`` and the dashboard counters."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import BOXES, Actor, ListQuery, Priority, State, Ticket
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.usecases.cursors import (
    decode_change_cursor,
    decode_cursor,
    encode_change_cursor,
    encode_cursor,
)


def _check(query: ListQuery) -> None:
    errors = []
    if query.box not in BOXES:
        errors.append(FieldError("box", "inbox, outbox or archive"))
    if query.sort not in store.SORTS:
        errors.append(FieldError("sort", ", ".join(store.SORTS)))
    if not 1 <= query.limit <= 200:
        errors.append(FieldError("limit", "between 1 and 200"))
    if query.locked not in (None, "me", "others"):
        errors.append(FieldError("locked", "me or others"))
    for name, values, allowed in (
        ("state", query.states, {s.value for s in State}),
        ("priority", query.priorities, {p.value for p in Priority}),
        ("sla_state", query.sla_states, {"ok", "warning", "breached", "met", "pending", "off"}),
    ):
        if not set(values) <= allowed:
            errors.append(FieldError(name, " or ".join(sorted(allowed))))
    if errors:
        raise InvalidTicket("The list query is not valid.", errors=errors)


async def list_tickets(
    *, db: Database, actor: Actor, query: ListQuery, cursor: str | None
) -> tuple[list[Ticket], str | None]:
    _check(query)
    if cursor:
        query = replace(query, after=decode_cursor(cursor))
    page = replace(query, limit=query.limit + 1)
    async with db.unit_of_work() as uow:
        tickets = await store.list_tickets(uow.conn, actor, page)
    if len(tickets) <= query.limit:
        return tickets, None
    tickets = tickets[: query.limit]
    last = tickets[-1]
    column = store.SORTS[query.sort][0]
    return tickets, encode_cursor(getattr(last, column), last.id)


async def list_changes(
    *, db: Database, actor: Actor, query: ListQuery, since: datetime | None, cursor: str | None
) -> tuple[list[Ticket], str]:
    """One page of the change feed (store.change_queries): the tickets updated since ``since``
    (first page) or changed after the cursor's position, in the order their changes
    committed. The next cursor is always given: a short page means "nothing more for now",
    and the cursor then stands at the horizon, where the next sync continues."""
    _check(query)
    after = decode_change_cursor(cursor) if cursor else None
    if after is None and since is None:
        raise InvalidTicket(
            "The change feed starts at a time.",
            errors=[FieldError("updated_since", "required without a cursor")],
        )
    async with db.unit_of_work() as uow:
        horizon = await store.change_horizon(uow.conn)
        if after is None and since is not None:
            # A first page: a ticket changed in the stretch but updated before ``since``
            # (its SLA verdict, say) may come too — a sync gets a little more, never less.
            # Never past the horizon: a transaction still running may yet change a ticket.
            start = await store.feed_start(uow.conn, since)
            after = (min(horizon if start is None else start, horizon) - 1, store.LAST_ID)
        rows = await store.list_changes(
            uow.conn, actor, replace(query, limit=query.limit + 1), horizon=horizon, after=after
        )
    if len(rows) > query.limit:
        last, changed_in = rows[query.limit - 1]
        return [t for t, _ in rows[: query.limit]], encode_change_cursor(changed_in, last.id)
    # Everything below the horizon has been handed out: the feed continues from there.
    end = max((horizon - 1, store.LAST_ID), after or (0, 0))
    return [t for t, _ in rows], encode_change_cursor(*end)


TOTAL_CAP = 10_000  # lists say "10,000+" past it rather than count a large part of the table


async def count_tickets(*, db: Database, actor: Actor, query: ListQuery) -> tuple[int, bool]:
    """How many tickets match the list's filters, up to ``TOTAL_CAP``; and whether there are
    more than that."""
    async with db.unit_of_work() as uow:
        total = await store.count_tickets(uow.conn, actor, replace(query, after=None), TOTAL_CAP)
    return min(total, TOTAL_CAP), total > TOTAL_CAP


async def counters(*, db: Database, actor: Actor) -> dict[str, int]:
    """new, in_work, mine (in work, locked by me), sla_warning, sla_breached over the inbox."""
    async with db.unit_of_work() as uow:
        return await store.counters(uow.conn, actor)
