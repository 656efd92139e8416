"""The change feed: tickets in the order their changes committed, never skipping one.

Each row carries ``changed_in``, the id of the transaction that last changed it
(migration 0010). Ids are handed out when a transaction first writes, not when it
commits, so a transaction stamped 100 may commit after one stamped 101: a reader that
had moved past 101 would never see 100. The feed therefore stops at a *horizon*, the
oldest transaction id still running (``pg_snapshot_xmin``): every transaction below it
has ended, and any later one gets a larger id. Below the horizon the order is final.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from helpdesk_tickets.domain import Actor, ListQuery, Ticket
from helpdesk_tickets.store.list_queries import Params, filters, visible
from helpdesk_tickets.store.rows import TICKET_COLUMNS, ticket_from_row

LAST_ID = 2**63 - 1  # with a horizon: "every ticket changed in that transaction"


async def change_horizon(conn: asyncpg.Connection) -> int:
    """The oldest transaction id still running: rows stamped below it are final.

    Read in a statement of its own before the page: the page's later snapshot sees every
    transaction that had ended when the horizon was read, so nothing below it is missed.
    """
    horizon: int = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return horizon


async def feed_start(conn: asyncpg.Connection, since: datetime) -> int | None:
    """Where the feed of the tickets updated since ``since`` starts: the earliest change
    among them (None: no ticket was updated since then).

    Asked once, apart from the page, so the page is planned with a known position and
    walks like any other. Since before every ticket (a first full sync), the feed starts
    at its beginning; otherwise the tickets updated since then are read from
    tickets_updated_idx — as many as the sync is about to read anyway ("+ 0" keeps the
    planner from walking the whole feed in order to meet the first of them)."""
    oldest: datetime | None = await conn.fetchval("SELECT min(updated_at) FROM tickets")
    if oldest is None:
        return None
    if since <= oldest:
        return 0
    start: int | None = await conn.fetchval(
        "SELECT min(changed_in + 0) FROM tickets WHERE updated_at >= $1", since
    )
    return start


async def list_changes(
    conn: asyncpg.Connection,
    actor: Actor,
    q: ListQuery,
    *,
    horizon: int,
    after: tuple[int, int] | None,
) -> list[tuple[Ticket, int]]:
    """Up to ``q.limit`` tickets the actor may see, each with its ``changed_in``, in the
    order (changed_in, id), all stamped below ``horizon``, after the position ``after``
    (a previous page's end, or where :func:`feed_start` says a feed begins).

    Every box's tickets, archived ones too (a ticket moving to the archive is a change a
    copy must learn of); the list's filters apply.
    """
    p = Params()
    terms = visible(actor, p, received_only=False)
    where = [f"changed_in < {p(horizon)}", *filters(actor, q, p)]
    if after is not None:
        where.append(f"(changed_in, id) > ({p(after[0])}, {p(after[1])})")
    common = " AND ".join(where)
    limit = p(q.limit)
    order = "changed_in, id"
    columns = f"{TICKET_COLUMNS}, changed_in"
    if terms is None or len(terms) == 1:
        condition = common if terms is None else f"{terms[0]} AND {common}"
        sql = f"SELECT {columns} FROM tickets WHERE {condition} ORDER BY {order} LIMIT {limit}"
    else:
        # As the lists do: each visibility alternative its own ordered, limited branch.
        branches = " UNION ".join(
            f"(SELECT id, changed_in FROM tickets WHERE {term} AND {common} ORDER BY {order} LIMIT {limit})"
            for term in terms
        )
        sql = (
            f"SELECT {columns} FROM tickets WHERE id IN"
            f" (SELECT id FROM ({branches}) u ORDER BY {order} LIMIT {limit})"
            f" ORDER BY {order}"
        )
    rows = await conn.fetch(sql, *p.values)
    return [(ticket_from_row(r), int(r["changed_in"])) for r in rows]
