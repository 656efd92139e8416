"""Directory search at scale: 100,000 users seeded into PostgreSQL, then ``?q=`` searches
(p50/p99) through identity's use case (the SQL the gRPC handler runs; pg_trgm GIN index).

    .venv/bin/python bench/identity_search.py [--users 100000] [--queries 200]

A benchmark, not a test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from helpdesk_devstack.servers import PostgresServer
from helpdesk_identity import usecases
from helpdesk_identity.app import MIGRATIONS
from helpdesk_identity.domain import Kind, Role, User
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade

FIRST = [
    "ivan",
    "olga",
    "petr",
    "anna",
    "sergey",
    "maria",
    "dmitry",
    "elena",
    "nikolai",
    "irina",
    "john",
    "mary",
    "peter",
    "susan",
]
LAST = [
    "petrov",
    "ivanova",
    "sidorov",
    "smirnova",
    "kuznetsov",
    "popova",
    "sokolov",
    "lebedeva",
    "smith",
    "jones",
    "brown",
]

SEED = """
INSERT INTO users (login, full_name, email, phone, kind, role)
SELECT 'user' || g,
       (ARRAY{first})[1 + g % {nf}] || ' ' || (ARRAY{last})[1 + (g / 7) % {nl}] || ' ' || g,
       'user' || g || '@corp' || (g % 50) || '.example',
       '+7 9' || lpad((g * 7919 % 1000000000)::text, 9, '0'),
       CASE WHEN g % 5 = 0 THEN 'client' ELSE 'staff' END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'unit_member' END
FROM generate_series($1::bigint, $2::bigint) g
"""


def _arr(words: list[str]) -> str:
    return "[" + ",".join(f"'{w}'" for w in words) + "]"


async def run(users: int, queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresServer(Path(tmp) / "pg", durable=False)
        pg.start()
        try:
            url = pg.create_database("bench")
            await upgrade(database_url=url, schema="identity", script_location=MIGRATIONS)
            async with Database(url, schema="identity", pool_size=2) as db:
                sql = SEED.format(first=_arr(FIRST), nf=len(FIRST), last=_arr(LAST), nl=len(LAST))
                t0 = time.perf_counter()
                for start in range(1, users + 1, 50_000):
                    await db.pool.execute(sql, start, min(start + 49_999, users))
                await db.pool.execute("ANALYZE users")
                print(f"seeded {users} users in {time.perf_counter() - t0:.1f} s")
                actor = User(id=1, login="user1", full_name="x", kind=Kind.STAFF, role=Role.UNIT_MEMBER)
                rnd = random.Random(1)
                kinds = {
                    "surname (common, many hits)": lambda: rnd.choice(LAST)[:5],
                    "login exact-ish": lambda: f"user{rnd.randint(1, users)}",
                    "e-mail part": lambda: f"{rnd.randint(1, users)}@corp",
                    "phone digits": lambda: f"{rnd.randint(100, 999)}{rnd.randint(10, 99)}",
                    "no match": lambda: "zzqx" + str(rnd.randint(1, 999)),
                }
                for name, make in kinds.items():
                    times = []
                    for _ in range(queries):
                        q = make()
                        t0 = time.perf_counter()
                        await usecases.list_users(
                            db=db, actor=actor, q=q, unit_id=None, kind=None, after_id=0, limit=50
                        )
                        times.append(time.perf_counter() - t0)
                    times.sort()
                    p99 = times[int(len(times) * 0.99) - 1]
                    print(
                        f"q = {name:28s} p50 {statistics.median(times) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms"
                    )
                plan = await db.pool.fetch(
                    "EXPLAIN SELECT id FROM users u WHERE lower(u.login || ' ' || u.full_name || ' ' || u.email || ' ' || u.phone) LIKE '%petrov%' ORDER BY id LIMIT 51"
                )
                print("plan:", " / ".join(r[0].strip() for r in plan[:4]))
        finally:
            pg.destroy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.queries))


if __name__ == "__main__":
    main()
