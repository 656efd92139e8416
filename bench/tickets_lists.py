"""Tickets at scale: 1,000,000 tickets seeded straight into PostgreSQL, then the inbox's
first page, full-text search, the change feed of updated_since (first page, a page deep
inside) and the dashboard's counters (p50/p99) for a unit member (and heads), through
the service's use cases (the same SQL the gRPC handler runs).

    .venv/bin/python bench/tickets_lists.py [--tickets 1000000] [--queries 200] [--keep DIR]

Seeding uses one INSERT ... SELECT FROM generate_series per 100,000 rows (no
Python per row). A benchmark, not a test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_tickets import usecases
from helpdesk_tickets.app import MIGRATIONS
from helpdesk_tickets.domain import Actor, ListQuery, Role
from helpdesk_tickets.usecases.cursors import encode_change_cursor

UNITS = 200
USERS = 5000
WORDS_EN = [
    "printer",
    "network",
    "vpn",
    "mail",
    "password",
    "screen",
    "laptop",
    "server",
    "backup",
    "invoice",
    "account",
    "phone",
    "license",
    "update",
    "disk",
]
WORDS_RU = [
    "принтер",
    "сеть",
    "почта",
    "пароль",
    "экран",
    "ноутбук",
    "сервер",
    "копия",
    "счёт",
    "доступ",
    "телефон",
    "лицензия",
    "обновление",
    "диск",
]

SEED = """
INSERT INTO tickets (ref, subject, body, priority, state, unit_id, assignee_ids, author_id, client_id,
                     locked_by, done_by, author_unit_ids, created_at, updated_at, search, sla_state)
SELECT md5(g::text || 'r'),
       s.subject, s.body,
       (ARRAY['low','normal','high'])[1 + g % 3],
       st.state,
       1 + (g / 10) % $3,
       CASE WHEN g % 3 = 0 THEN ARRAY[1000 + (g % $4)]::bigint[] ELSE '{}'::bigint[] END,
       1000 + ((g * 7) % $4), NULL,
       CASE WHEN st.state = 'in_work' THEN 1000 + (g % $4) END,
       CASE WHEN st.state IN ('done', 'archived') THEN 1000 + (g % $4) END,
       ARRAY[1 + (g / 7) % $3]::bigint[],
       now() - make_interval(secs => ($2 - g)), now() - make_interval(secs => ($2 - g)),
       setweight(to_tsvector('russian', s.subject), 'A') || setweight(to_tsvector('russian', s.body), 'B'),
       CASE WHEN st.state IN ('new', 'in_work') THEN (ARRAY['ok', 'ok', 'ok', 'warning', 'breached'])[1 + g % 5] END
FROM generate_series($1::bigint, $2::bigint) AS g
CROSS JOIN LATERAL (SELECT
    $5::text[] AS en, $6::text[] AS ru) w
CROSS JOIN LATERAL (SELECT
    w.en[1 + g % cardinality(w.en)] || ' ' || w.ru[1 + (g / 15) % cardinality(w.ru)] || ' ' || (g % 9973)::text AS subject,
    w.ru[1 + (g / 7) % cardinality(w.ru)] || ' ' || w.en[1 + (g / 11) % cardinality(w.en)] || ' не работает, doesn''t work since ' || (g % 31)::text AS body) s
CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 < 5 THEN 'archived' WHEN g % 10 < 7 THEN 'done'
                                WHEN g % 10 < 8 THEN 'in_work' ELSE 'new' END AS state) st
"""

UNFOLDED = """
INSERT INTO open_count_changes (unit_id, state, sla_state, n)
SELECT 1 + g % 200, 'new', 'ok', v.n FROM generate_series(1, $1) g, (VALUES (1), (-1)) v(n)
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def timed(n: int, run: object) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await run()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


async def bench_feed(db: Database, queries: int, only: str, member: Actor, head: Actor) -> None:
    """The change feed: a first page (updated_since an hour or a year ago) and a page from a
    cursor half-way through the table, 50 tickets each."""
    dept = Actor(1000 + 19, False, Role.DEPARTMENT_HEAD, frozenset({19}))
    middle = await db.pool.fetchrow(
        "SELECT changed_in, id FROM tickets ORDER BY id OFFSET $1 LIMIT 1", 500_000
    )
    mid = encode_change_cursor(middle["changed_in"], middle["id"]) if middle else None
    hour_ago, year_ago = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) - timedelta(days=365)
    cases = {
        "feed since an hour ago, unit member": (member, hour_ago, None),
        "feed since an hour ago, department head": (dept, hour_ago, None),
        "feed since a year ago (full sync), unit member": (member, year_ago, None),
        "feed from a cursor half-way, unit member": (member, None, mid),
        "feed from a cursor half-way, unit head": (head, None, mid),
        "feed from a cursor half-way, department head": (dept, None, mid),
    }
    for name, (actor, since, cursor) in cases.items():
        if only not in name:
            continue

        async def run(
            actor: Actor = actor, since: datetime | None = since, cursor: str | None = cursor
        ) -> int:
            page, _ = await usecases.list_changes(
                db=db, actor=actor, query=ListQuery(), since=since, cursor=cursor
            )
            return len(page)

        rows = await run()
        await timed(5, run)
        ms = await timed(queries, run)
        print(f"{name:<45} {statistics.median(ms):8.2f} {pct(ms, 0.99):8.2f} {rows:5d}")


async def bench_counters(db: Database, queries: int, only: str, member: Actor, head: Actor) -> None:
    """The dashboard's counters for three roles (the department head counts every open ticket)."""
    dept = Actor(1000 + 19, False, Role.DEPARTMENT_HEAD, frozenset({19}))
    for name, actor in {
        "counters, unit member": member,
        "counters, unit head": head,
        "counters, department head (all open tickets)": dept,
    }.items():
        if only not in name:
            continue

        async def count(actor: Actor = actor) -> dict[str, int]:
            return await usecases.counters(db=db, actor=actor)

        found = await count()
        await timed(5, count)
        ms = await timed(queries, count)
        print(f"{name:<45} {statistics.median(ms):8.2f} {pct(ms, 0.99):8.2f}  {found}")
    name = "counters, dept head, 10,000 changes unfolded"
    if only in name:
        # The worst the archiver's schedule leaves between two folds at ~170 writes/s:
        # pairs of changes that cancel out, so the figures stay those of the tickets.
        await db.pool.execute(UNFOLDED, 5000)
        found = await usecases.counters(db=db, actor=dept)
        await timed(5, lambda: usecases.counters(db=db, actor=dept))
        ms = await timed(queries, lambda: usecases.counters(db=db, actor=dept))
        await usecases.fold_open_counts(db=db)
        print(f"{name:<45} {statistics.median(ms):8.2f} {pct(ms, 0.99):8.2f}  {found}")


async def main(tickets: int, queries: int, keep: str | None, only: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-tickets-") as tmp:
        server = PostgresServer(Path(keep or tmp), durable=False)
        server.start()
        try:
            reuse = keep is not None and "bench" in server.psql("SELECT datname FROM pg_database")
            url = server.url_for("bench") if reuse else server.create_database("bench")
            await upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS)
            async with Database(url, schema="tickets", pool_size=4) as db:
                if not reuse:
                    began = time.perf_counter()
                    step = 100_000
                    for first in range(1, tickets + 1, step):
                        last = min(tickets, first + step - 1)
                        await db.pool.execute(SEED, first, last, UNITS, USERS, WORDS_EN, WORDS_RU)
                    await db.pool.execute("ANALYZE tickets")
                    # What the archiver's schedule does within a minute: the seed's count changes
                    # (one per unit, state and SLA state per statement) into the kept counts.
                    await usecases.fold_open_counts(db=db)
                    print(f"seeded {tickets:,} tickets in {time.perf_counter() - began:.0f} s")
                count = await db.pool.fetchval("SELECT count(*) FROM tickets")
                print(f"{count:,} tickets in the database")

                member = Actor(1000 + 17, False, Role.UNIT_MEMBER, frozenset({17}))
                head = Actor(1000 + 18, False, Role.UNIT_HEAD, frozenset({18}))
                cases = {
                    "inbox first page, unit member": (member, ListQuery(box="inbox")),
                    "inbox first page, unit head": (head, ListQuery(box="inbox")),
                    "archive first page, unit member": (member, ListQuery(box="archive")),
                    "search 'принтеры', unit member": (member, ListQuery(box="inbox", text="принтеры")),
                    "search 'backup сервер', unit member": (
                        member,
                        ListQuery(box="inbox", text="backup сервер"),
                    ),
                    "search in archive 'printers', unit member": (
                        member,
                        ListQuery(box="archive", text="printers"),
                    ),
                }
                if reuse:  # a kept cluster seeded before the latest migrations: refresh statistics
                    await db.pool.execute("VACUUM ANALYZE tickets")
                print(f"{'query':<45} {'p50 ms':>8} {'p99 ms':>8} {'rows':>5}")
                for name, (actor, query) in cases.items():
                    if only not in name:
                        continue

                    async def run(actor: Actor = actor, query: ListQuery = query) -> int:
                        page, _ = await usecases.list_tickets(db=db, actor=actor, query=query, cursor=None)
                        return len(page)

                    rows = await run()
                    await timed(5, run)
                    ms = await timed(queries, run)
                    print(f"{name:<45} {statistics.median(ms):8.2f} {pct(ms, 0.99):8.2f} {rows:5d}")
                await bench_feed(db, queries, only, member, head)
                await bench_counters(db, queries, only, member, head)
        finally:
            if keep:
                server.stop()
            else:
                server.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", help="keep (and on later runs reuse) the seeded cluster in this directory")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    asyncio.run(main(args.tickets, args.queries, args.keep, args.only))
