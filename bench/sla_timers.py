"""SLA timers at scale: breach-detection lag with 1,000,000 open clocks, and the sla process's memory.

Starts its own PostgreSQL and NATS, migrates the sla schema, loads N open clocks
straight into PostgreSQL (COPY) whose next moment is days away, plus K clocks whose
breach falls inside the same minute (starting ``--lead`` seconds after the load),
then runs the real sla process (``python -m helpdesk_sla serve``) and listens on
NATS ``sla.SlaBreached``. The lag of each breach is (time received on NATS) -
(its due moment): timers + outbox + relay + NATS, end to end.

    .venv/bin/python bench/sla_timers.py                       # 1,000,000 open, 10,000 in one minute
    .venv/bin/python bench/sla_timers.py --open 100000 --burst 2000

Prints the load time, the lag p50/p99/max, breaches received (and duplicates), and
the RSS of the sla process at rest and after the burst. A benchmark, not a test:
asserts nothing, never run by `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import nats
from helpdesk.sla.v1 import events_pb2 as sla_events

from helpdesk_devstack.servers import NatsServer, PostgresServer, free_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(url: str, n_open: int, n_burst: int, burst_start: datetime) -> float:
    conn = await asyncpg.connect(url, server_settings={"search_path": "sla"})
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    total = n_open + n_burst
    tickets = (
        (i, 1, 1, "normal", 1 + i % 50, [100 + i % 7], "new", now, "ok", False) for i in range(1, total + 1)
    )
    await conn.copy_records_to_table(
        "tickets",
        records=tickets,
        columns=[
            "ticket_id",
            "version",
            "plan_id",
            "priority",
            "unit_id",
            "assignee_ids",
            "state",
            "created_at",
            "worst_state",
            "deleted",
        ],
    )

    def clock(i: int) -> tuple[object, ...]:
        if i <= n_open:  # far away: 1 to 30 days
            due = now + timedelta(days=1 + i % 30, seconds=i % 86_400)
        else:  # the burst: spread over one minute
            due = burst_start + timedelta(seconds=60 * (i - n_open) / n_burst)
        return (i, "deadline", 86_400 * 40, 0, now, due, "warning", due - timedelta(hours=1), due)

    await conn.copy_records_to_table(
        "clocks",
        records=(clock(i) for i in range(1, total + 1)),
        columns=[
            "ticket_id",
            "kind",
            "limit_seconds",
            "used_seconds",
            "running_since",
            "due_at",
            "state",
            "warn_at",
            "next_fire_at",
        ],
    )
    await conn.execute("ANALYZE clocks")
    await conn.close()
    return time.perf_counter() - t0


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--open", type=int, default=1_000_000)
    ap.add_argument("--burst", type=int, default=10_000)
    ap.add_argument("--replicas", type=int, default=1, help="sla processes running side by side")
    ap.add_argument("--lead", type=float, default=40.0, help="seconds from load end to the burst minute")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresServer(Path(tmp) / "pg", durable=False)
        pg.start()
        nats_server = NatsServer(Path(tmp) / "nats")
        nats_server.start()
        procs: list[asyncio.subprocess.Process] = []
        try:
            env = {
                **os.environ,
                "HELPDESK_DATABASE_URL": pg.url,
                "HELPDESK_NATS_URL": nats_server.url,
                "HELPDESK_HTTP_PORT": str(free_port()),
                "HELPDESK_GRPC_PORT": str(free_port()),
                "HELPDESK_LOG_LEVEL": "WARNING",
            }
            migrate = await asyncio.create_subprocess_exec(
                PY, "-m", "helpdesk_sla", "migrate", env=env, cwd=ROOT
            )
            await migrate.wait()
            # the burst minute is placed after loading: estimate generously, then measure
            burst_start = datetime.now(UTC) + timedelta(seconds=args.lead + args.open / 25_000)
            load_s = await load(pg.url, args.open, args.burst, burst_start)
            print(f"loaded {args.open + args.burst:,} open clocks in {load_s:.1f} s")
            left = (burst_start - datetime.now(UTC)).total_seconds()
            print(f"burst of {args.burst:,} breaches starts in {left:.1f} s, spread over 60 s")

            nc = await nats.connect(nats_server.url)
            lags: list[float] = []
            seen: set[int] = set()
            dupes = 0
            all_seen = asyncio.Event()

            async def on_breach(msg: nats.aio.msg.Msg) -> None:
                nonlocal dupes
                m = sla_events.SlaBreached.FromString(msg.data)
                if m.ticket_id in seen:
                    dupes += 1
                seen.add(m.ticket_id)
                if len(seen) >= args.burst:
                    all_seen.set()
                lags.append(time.time() - m.due_at.ToDatetime(tzinfo=UTC).timestamp())

            await nc.subscribe("sla.SlaBreached", cb=on_breach)
            for _ in range(args.replicas):
                replica_env = {
                    **env,
                    "HELPDESK_HTTP_PORT": str(free_port()),
                    "HELPDESK_GRPC_PORT": str(free_port()),
                }
                procs.append(
                    await asyncio.create_subprocess_exec(
                        PY, "-m", "helpdesk_sla", "serve", env=replica_env, cwd=ROOT
                    )
                )
            await asyncio.sleep(min(10.0, max(left - 5, 1)))
            rest = max(rss_mb(p.pid) for p in procs)
            print(
                f"sla process RSS (largest replica) at rest ({args.open + args.burst:,} clocks):"
                f" {rest:.0f} MB"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_seen.wait(), timeout=left + 60 + 30)
            peak = max(rss_mb(p.pid) for p in procs)
            await nc.drain()
            if lags:
                q = statistics.quantiles(lags, n=100)
                print(
                    f"breaches received {len(seen):,}/{args.burst:,}, duplicates {dupes};"
                    f" lag p50 {statistics.median(lags) * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms,"
                    f" max {max(lags) * 1000:.0f} ms"
                )
            else:
                print("no breach received")
            print(f"sla process RSS (largest replica) after the burst: {peak:.0f} MB")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    await asyncio.wait_for(proc.wait(), timeout=20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            nats_server.stop()
            pg.destroy()


if __name__ == "__main__":
    asyncio.run(main())
