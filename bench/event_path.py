"""The event path alone: outbox → relay → JetStream → a consumer's inbox, and its CPU per event.

Starts its own durable PostgreSQL and NATS, gives a fresh schema the kit's messaging
tables, and in one process runs a producer (one unit of work per event, each recording
one event, at ``--rate`` events per second, the way a service commits under load), the
outbox relay, and a durable consumer whose handler writes one row. For ``--seconds`` it
counts the events applied, the CPU time of every process (this one, PostgreSQL, NATS)
per event, and how long each event took from its commit to its handler (p50, p99).

    .venv/bin/python bench/event_path.py --rate 300 --seconds 10

The kit's code is the checkout's, so running the same file from two worktrees compares
two versions of the relay and the consumer under the same load (bench/RESULTS.md).
A benchmark, not a test: it asserts nothing and is never run by `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from google.protobuf.struct_pb2 import Value

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "libs" / "kit" / "tests" / "migrations"


def cpu_seconds() -> dict[str, float]:
    """User + system CPU of this process and of each server it started, by role."""
    out = {"this process": 0.0, "postgres": 0.0, "nats": 0.0}
    me = psutil.Process()
    for p in [me, *me.children(recursive=True)]:
        try:
            name, t = p.name(), p.cpu_times()
        except psutil.Error:
            continue
        role = "this process" if p.pid == me.pid else "postgres" if "postgres" in name else "nats"
        out[role] += t.user + t.system
    return out


async def run(db_url: str, nats_url: str, rate: float, seconds: float) -> None:
    from helpdesk_kit.db import Database, UnitOfWork
    from helpdesk_kit.inbox import Consumer, Event, Route
    from helpdesk_kit.migrations import upgrade
    from helpdesk_kit.outbox import OutboxRelay
    from helpdesk_kit.streams import connect

    schema = "bench" + secrets.token_hex(3)
    await upgrade(database_url=db_url, schema=schema, script_location=MIGRATIONS)
    nc = await connect(nats_url, name="bench")
    js = nc.jetstream()
    lags: list[float] = []
    reached = asyncio.Event()
    target = [0]
    async with Database(db_url, schema=schema, pool_size=10) as db:
        await db.pool.execute("CREATE TABLE applied (text text NOT NULL)")

        async def handler(uow: UnitOfWork, event: Event[Any]) -> None:
            await uow.conn.execute("INSERT INTO applied VALUES ($1)", event.message.string_value)
            lags.append(time.time() - float(event.message.string_value))
            if len(lags) >= target[0]:
                reached.set()

        relay = OutboxRelay(db=db, js=js, service=schema)
        consumer = Consumer(name="bench", db=db, js=js, source_service=schema, routes=[Route(Value, handler)])
        tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]

        async def produce(count: int) -> None:
            start = time.perf_counter()
            for i in range(count):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                async with db.unit_of_work() as uow:
                    await uow.record_event(f"{schema}.Value", Value(string_value=repr(time.time())))
                    await uow.commit()

        async def produce_and_wait(count: int) -> None:
            reached.clear()
            target[0] = len(lags) + count
            await produce(count)
            await reached.wait()  # the last handler ran (its commit follows within a moment)

        await produce_and_wait(int(rate))  # one second of warm-up: stream, consumer, connections
        lags.clear()
        count = int(rate * seconds)
        before, began = cpu_seconds(), time.perf_counter()
        await produce_and_wait(count)
        elapsed, after = time.perf_counter() - began, cpu_seconds()
        relay.stop()
        consumer.stop()
        await asyncio.gather(*tasks)
    await nc.close()
    lags.sort()
    print(
        f"{count} events at {rate:.0f}/s: all applied after {elapsed:.2f} s; commit → handler"
        f" p50 {statistics.median(lags) * 1000:.1f} ms, p99 {lags[int(len(lags) * 0.99)] * 1000:.1f} ms"
    )
    total = 0.0
    for role in after:
        ms = (after[role] - before[role]) * 1000 / count
        total += ms
        print(f"  CPU per event, {role:<13} {ms:6.3f} ms")
    print(f"  CPU per event, {'total':<13} {total:6.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=300.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from helpdesk_devstack.servers import NatsServer, PostgresServer

    with tempfile.TemporaryDirectory(prefix="event-path-") as tmp:
        pg, nt = PostgresServer(Path(tmp) / "pg"), NatsServer(Path(tmp) / "nats")
        with pg, nt:
            import uvloop

            uvloop.run(run(pg.url, nt.url, args.rate, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
