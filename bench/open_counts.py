"""What keeping the open-ticket counts (migration 0011) costs a ticket's INSERT, at the
database alone: single-ticket transactions from many connections into one unit (the case
where a counter row would be hot), with

- ``none``: the count triggers disabled (the write as before migration 0011),
- ``append``: the triggers as shipped (each statement appends its net change),
- ``hot row``: the same trigger but UPDATEing the count row in place (the design not
  taken: the row lock is held until the inserting transaction commits).

    .venv/bin/python bench/open_counts.py [--connections 32] [--seconds 5] [--rounds 2]

Variants alternate round by round on one database. A benchmark, not a test: it prints
figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_tickets.app import MIGRATIONS

INSERT = """
INSERT INTO tickets (ref, subject, body, priority, unit_id, author_id, author_unit_ids)
VALUES (md5(random()::text), 'Printer', 'It does not print', 'normal', 1, 1000, '{1}')
"""
TRIGGERS = ("tickets_count_open_insert", "tickets_count_open_update", "tickets_count_open_delete")
HOT_ROW = """
CREATE FUNCTION count_open_hot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO open_counts (unit_id, state, sla_state, n)
    SELECT unit_id, state, COALESCE(sla_state, ''), count(*) FROM new_rows
    WHERE state IN ('new', 'in_work') GROUP BY 1, 2, 3
    ON CONFLICT (unit_id, state, sla_state) DO UPDATE SET n = open_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER count_open_hot AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_open_hot();
ALTER TABLE tickets DISABLE TRIGGER count_open_hot;
"""


async def switch(db: Database, variant: str) -> None:
    for name in TRIGGERS:
        on = "ENABLE" if variant == "append" else "DISABLE"
        await db.pool.execute(f"ALTER TABLE tickets {on} TRIGGER {name}")
    on = "ENABLE" if variant == "hot row" else "DISABLE"
    await db.pool.execute(f"ALTER TABLE tickets {on} TRIGGER count_open_hot")


async def phase(db: Database, connections: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    until = time.perf_counter() + seconds

    async def worker() -> None:
        async with db.pool.acquire() as conn:
            while time.perf_counter() < until:
                start = time.perf_counter()
                async with conn.transaction():
                    await conn.execute(INSERT)
                latencies.append((time.perf_counter() - start) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies) / (time.perf_counter() - began), latencies


async def main(connections: int, seconds: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-open-counts-") as tmp:
        server = PostgresServer(Path(tmp), durable=True)
        server.start()
        try:
            url = server.create_database("bench")
            await upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS)
            async with Database(url, schema="tickets", pool_size=connections + 1) as db:
                await db.pool.execute(HOT_ROW)
                print(f"{'variant':<10} {'inserts/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
                for _ in range(rounds):
                    for variant in ("none", "append", "hot row"):
                        await switch(db, variant)
                        rate, ms = await phase(db, connections, seconds)
                        ordered = sorted(ms)
                        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
                        print(f"{variant:<10} {rate:10.1f} {statistics.median(ms):8.2f} {p99:8.2f}")
        finally:
            server.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.connections, args.seconds, args.rounds))
