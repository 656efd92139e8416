"""Reports at scale: 1,000,000 tickets over a year seeded straight into PostgreSQL (the
tickets schema with the report's daily aggregate, and sla's tickets and clocks), then every
query behind the report pages (p50/p99): the ticket report's created/done per day, backlog,
done per person and busiest subjects (tickets' ``report_days``), and sla's report
(met/breached and medians per clock and unit), for a department head (every unit) and a
unit head (one unit), over 30 and 365 days; and a list's total (``GET /tickets/total``).
Through the services' use cases: the same SQL their gRPC handlers run.

    .venv/bin/python bench/reports.py [--tickets 1000000] [--queries 50] [--keep DIR] [--only TEXT]

Seeding is INSERT ... SELECT FROM generate_series per 100,000 rows. A benchmark, not a
test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_sla import usecases as sla_usecases
from helpdesk_sla.app import MIGRATIONS as SLA_MIGRATIONS
from helpdesk_sla.domain import Actor as SlaActor
from helpdesk_tickets import usecases
from helpdesk_tickets.app import MIGRATIONS
from helpdesk_tickets.domain import Actor, ListQuery, Role

UNITS = 50  # four agents each finish its tickets
USERS = 2000  # authors
SUBJECTS = ["Printer", "VPN", "Mail", "Password", "Laptop", "Screen", "Phone", "Access", "Backup", "License"]
YEAR = 365 * 86400

# Ticket g of n was filed (n - g) / n of a year ago; 70 % are done (half of them archived),
# done a few hours after filing; the rest are new or in work. Three in four have a subject
# of the list, the rest a typed one.
SEED_TICKETS = """
INSERT INTO tickets (ref, subject, subject_id, body, priority, state, unit_id, assignee_ids, author_id,
                     locked_by, done_by, author_unit_ids, created_at, updated_at, done_at, search)
SELECT md5(g::text), s.subject, CASE WHEN g % 4 <> 0 THEN 1 + (g * 13) % cardinality($7::text[]) END, '', (ARRAY['low','normal','high'])[1 + g % 3], st.state,
       1 + g % $3, '{}'::bigint[], 1000 + (g * 7) % $4,
       CASE WHEN st.state = 'in_work' THEN 1000 + g % $4 END,
       CASE WHEN st.state IN ('done', 'archived') THEN 1000 + (g % $3) * 4 + (g / $3) % 4 END,
       ARRAY[1 + g % $3]::bigint[], c.at, c.at,
       CASE WHEN st.state IN ('done', 'archived') THEN c.at + make_interval(secs => 600 + (g % 97) * 300) END,
       to_tsvector('simple', s.subject)
FROM generate_series($1::bigint, $2::bigint) AS g
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => ($5::float8 - g) / $5 * $6) AS at) c
CROSS JOIN LATERAL (SELECT ($7::text[])[1 + (g * 13) % cardinality($7::text[])] || CASE WHEN g % 4 = 0 THEN ' #' || (g % 50)::text ELSE '' END AS subject) s
CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 < 4 THEN 'archived' WHEN g % 10 < 7 THEN 'done'
                                WHEN g % 10 < 8 THEN 'in_work' ELSE 'new' END AS state) st
"""

SEED_SLA = """
WITH t AS (
    INSERT INTO tickets (ticket_id, version, plan_id, priority, unit_id, state, created_at, worst_state)
    SELECT g, 3, 1, 'normal', 1 + g % $3,
           CASE WHEN g % 10 < 4 THEN 'archived' WHEN g % 10 < 7 THEN 'done' WHEN g % 10 < 8 THEN 'in_work' ELSE 'new' END,
           now() - make_interval(secs => ($4::float8 - g) / $4 * $5), 'met'
    FROM generate_series($1::bigint, $2::bigint) AS g
    RETURNING ticket_id, state
)
INSERT INTO clocks (ticket_id, kind, limit_seconds, used_seconds, state)
SELECT t.ticket_id, k.kind, k.lim, (t.ticket_id * k.mul) % (2 * k.lim),
       CASE WHEN t.state IN ('new', 'in_work') THEN 'ok'
            WHEN (t.ticket_id * k.mul) % (2 * k.lim) > k.lim THEN 'breached' ELSE 'met' END
FROM t CROSS JOIN (VALUES ('reaction', 3600, 37), ('work', 28800, 101), ('deadline', 86400, 211)) AS k(kind, lim, mul)
"""


# The seed bypasses the use cases: the daily aggregate is filled from the tickets, as
# migration 0008 does for an existing desk.
REPORT_DAYS_FROM_TICKETS = (
    "INSERT INTO report_days (day, unit_id, subject_id, created)"
    " SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), count(*)"
    " FROM tickets GROUP BY 1, 2, 3",
    "INSERT INTO report_days (day, unit_id, user_id, done)"
    " SELECT (done_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(done_by, 0), count(*)"
    " FROM tickets WHERE done_at IS NOT NULL GROUP BY 1, 2, 3"
    " ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET done = EXCLUDED.done",
)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def timed(n: int, run: Callable[[], Awaitable[object]]) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await run()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def seed(tickets_db: Database, sla_db: Database, n: int) -> None:
    began = time.perf_counter()
    await tickets_db.pool.execute(
        "INSERT INTO subjects (id, name) OVERRIDING SYSTEM VALUE SELECT i, ($1::text[])[i]"
        " FROM generate_series(1, cardinality($1::text[])) AS i",
        SUBJECTS,
    )
    step = 100_000
    for first in range(1, n + 1, step):
        last = min(n, first + step - 1)
        await tickets_db.pool.execute(SEED_TICKETS, first, last, UNITS, USERS, n, YEAR, SUBJECTS)
        await sla_db.pool.execute(SEED_SLA, first, last, UNITS, n, YEAR)
    await tickets_db.pool.execute("TRUNCATE report_days")
    for statement in REPORT_DAYS_FROM_TICKETS:
        await tickets_db.pool.execute(statement)
    await tickets_db.pool.execute("VACUUM ANALYZE tickets")
    await tickets_db.pool.execute("VACUUM ANALYZE report_days")
    await sla_db.pool.execute("VACUUM ANALYZE tickets")
    await sla_db.pool.execute("VACUUM ANALYZE clocks")
    print(f"seeded {n:,} tickets (and their 3 clocks each) in {time.perf_counter() - began:.0f} s")


async def main(n: int, queries: int, keep: str | None, only: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        server = PostgresServer(Path(keep or tmp), durable=False)
        server.start()
        try:
            reuse = keep is not None and "bench" in server.psql("SELECT datname FROM pg_database")
            url = server.url_for("bench") if reuse else server.create_database("bench")
            await upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS)
            await upgrade(database_url=url, schema="sla", script_location=SLA_MIGRATIONS)
            async with (
                Database(url, schema="tickets", pool_size=2) as tdb,
                Database(url, schema="sla", pool_size=2) as sdb,
            ):
                if not reuse:
                    await seed(tdb, sdb, n)
                print(f"{await tdb.pool.fetchval('SELECT count(*) FROM tickets'):,} tickets in the database")
                print(f"{await tdb.pool.fetchval('SELECT count(*) FROM report_days'):,} rows in report_days")
                print(f"{'query':<62} {'p50 ms':>8} {'p99 ms':>8}")
                for name, run in cases(tdb, sdb).items():
                    if only not in name:
                        continue
                    await timed(3, run)
                    ms = await timed(queries, run)
                    print(f"{name:<62} {statistics.median(ms):8.2f} {pct(ms, 0.99):8.2f}", flush=True)
        finally:
            if keep:
                server.stop()
            else:
                server.destroy()


def cases(tdb: Database, sdb: Database) -> dict[str, Callable[[], Awaitable[object]]]:
    """Each report, and each of the ticket report's queries alone, for two roles and periods."""
    now = datetime.now(UTC)
    today = now.date()
    roles = (
        (
            "department head",
            Actor(1, False, Role.DEPARTMENT_HEAD, frozenset(), is_admin=True),
            None,
            SlaActor(1, False, "department_head", (), True),
        ),
        (
            "unit head",
            Actor(2, False, Role.UNIT_HEAD, frozenset({7})),
            [7],
            SlaActor(2, False, "unit_head", (7,), False),
        ),
    )
    out: dict[str, Callable[[], Awaitable[object]]] = {}
    for days in (30, 365):
        first = today - timedelta(days=days - 1)
        start = now - timedelta(days=days)
        for who, actor, units, sla_actor in roles:
            label = f"{days} days, {who}"
            out[f"ticket report (4 queries), {label}"] = partial(
                usecases.ticket_report, db=tdb, actor=actor, first=first, last=today, unit_id=None
            )
            out[f"SLA report, {label}"] = partial(
                sla_usecases.report, db=sdb, actor=sla_actor, unit_id=None, start=start, end=now
            )
            out[f"  created/done per day, {label}"] = partial(
                _store, "report_per_day", tdb, units, first, today
            )
            out[f"  backlog (open now, growth since), {label}"] = partial(
                _store, "report_open_now_and_after", tdb, units, today
            )
            out[f"  done per person, {label}"] = partial(
                _store, "report_done_per_person", tdb, units, first, today
            )
            out[f"  busiest subjects, {label}"] = partial(
                _store, "report_busiest_subjects", tdb, units, first, today
            )
    member = Actor(1000 + 28, False, Role.UNIT_MEMBER, frozenset({7}))
    for who, actor, query in (
        ("unit member, inbox", member, ListQuery(box="inbox")),
        ("unit head, inbox", roles[1][1], ListQuery(box="inbox")),
        ("department head, inbox", roles[0][1], ListQuery(box="inbox")),
        ("department head, archive", roles[0][1], ListQuery(box="archive")),
        ("department head, search 'printer'", roles[0][1], ListQuery(box="archive", text="printer")),
    ):
        out[f"list total (capped at 10,000), {who}"] = partial(
            usecases.count_tickets, db=tdb, actor=actor, query=query
        )
    return out


async def _store(name: str, db: Database, *args: object) -> object:
    from helpdesk_tickets import store

    async with db.unit_of_work() as uow:
        return await getattr(store, name)(uow.conn, *args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--keep", help="keep (and on later runs reuse) the seeded cluster in this directory")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    asyncio.run(main(args.tickets, args.queries, args.keep, args.only))
