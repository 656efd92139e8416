"""What the abuse limits cost per request: the gateway's Redis check and a socket's bucket.

The gateway counts a limited route's request in Redis before the route runs (moving
windows, every window of the request in one Lua call: a new ticket's three — the general
limit, per minute, per day); realtime takes a
token from the socket's own bucket (memory) for every message, and asks Redis only
for messages the bucket let through. This measures both on this machine against a
real Redis started here (loopback), sequentially and with concurrent callers.

    .venv/bin/python bench/rate_limits.py [--hits 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from limits import parse

from helpdesk_devstack.servers.redis import RedisServer
from helpdesk_gateway.config import Settings
from helpdesk_gateway.ratelimits import API_RULE, RULES, RateLimits
from helpdesk_gateway.ratewindows import Windows
from helpdesk_realtime.frames import FrameBudget

RULE = RULES[("POST", "/api/v1/tickets")]


async def gateway_hits(redis_url: str, hits: int, concurrency: int) -> tuple[float, float, float]:
    """(median µs per check seen by one caller, checks/s over all callers, µs of this
    process's CPU per check — the gateway's side of it)."""
    settings = Settings(
        identity_addr="x",
        tickets_addr="x",
        sla_addr="x",
        notify_addr="x",
        portal_addr="x",
        # As many windows as a new ticket's (general limit; tickets per minute and per day),
        # too large to be reached.
        rate_api="1000000/minute",
        rate_tickets="1000000/minute;10000000/day",
    )
    limits = RateLimits(settings, Windows(redis_url))
    await limits.hit((API_RULE, "user:warm-up"), (RULE, "user:warm-up"))
    samples: list[float] = []

    async def caller(n: int) -> None:
        for i in range(hits // concurrency):
            t0 = time.perf_counter()
            who = f"user:{n}-{i % 50}"
            await limits.hit((API_RULE, who), (RULE, who))
            samples.append(time.perf_counter() - t0)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller(n) for n in range(concurrency)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return statistics.median(samples) * 1e6, len(samples) / elapsed, cpu * 1e6 / len(samples)


def bucket_takes(n: int) -> float:
    """ns per message through one socket's bucket."""
    budget = FrameBudget(parse("1000000/second"))
    t0 = time.perf_counter_ns()
    for _ in range(n):
        budget.take()
    return (time.perf_counter_ns() - t0) / n


async def main(hits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, RedisServer(Path(tmp)) as redis:
        for concurrency in (1, 32):
            median_us, rate, cpu_us = await gateway_hits(redis.url, hits, concurrency)
            print(
                f"gateway check, {concurrency:>2} callers: median {median_us:7.1f} µs, "
                f"{rate:8.0f} checks/s, {cpu_us:6.1f} µs CPU per check"
            )
    print(f"socket bucket: {bucket_takes(1_000_000):.0f} ns per message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hits", type=int, default=3000)
    asyncio.run(main(parser.parse_args().hits))
