"""Create / take / complete throughput through the gateway (auth, REST, gRPC, PostgreSQL + outbox).

    .venv/bin/python bench/tickets_workflow.py                    # starts its own stack
    .venv/bin/python bench/tickets_workflow.py --url http://127.0.0.1:8080 --password <admin password>

Each worker creates a ticket as a unit member, takes it and completes it; the
figures are requests per second per step and p50/p99 latency. A benchmark, not a
test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from create_tickets import login, own_stack


async def prepare(session: aiohttp.ClientSession, url: str, admin: str) -> tuple[int, str]:
    h = {"Authorization": f"Bearer {admin}"}
    async with session.post(
        f"{url}/api/v1/units", json={"name": f"Bench {secrets.token_hex(3)}"}, headers=h
    ) as r:
        unit_id: int = (await r.json())["id"]
    name = f"bench{secrets.token_hex(3)}"
    member = {
        "login": name,
        "password": "bench-password",
        "full_name": "Bench",
        "kind": "staff",
        "role": "unit_member",
        "unit_ids": [unit_id],
    }
    async with session.post(f"{url}/api/v1/users", json=member, headers=h) as r:
        assert r.status == 201, await r.text()
    return unit_id, await login(session, url, name, "bench-password")


async def phase(
    session: aiohttp.ClientSession, url: str, token: str, unit_id: int, concurrency: int, seconds: float
) -> None:
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = (
        b'{"subject":"Bench","body":"bench/tickets_workflow.py","priority":"normal","unit_id":%d}' % unit_id
    )
    lat: dict[str, list[float]] = {"create": [], "lock": [], "complete": []}
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def call(step: str, path: str, data: bytes | None, ok: int) -> dict[str, object] | None:
        nonlocal errors
        start = time.perf_counter()
        async with session.post(f"{url}{path}", data=data, headers=h) as r:
            payload = await r.json()
            if r.status != ok:
                errors += 1
                return None
        lat[step].append((time.perf_counter() - start) * 1000)
        result: dict[str, object] = payload
        return result

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            t = await call("create", "/api/v1/tickets", body, 201)
            if t is None:
                continue
            if await call("lock", f"/api/v1/tickets/{t['id']}/lock", None, 200) is not None:
                await call("complete", f"/api/v1/tickets/{t['id']}/complete", None, 200)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    for step, values in lat.items():
        if values:
            values.sort()
            print(
                f"c={concurrency:<3} {step:<9} {len(values) / elapsed:7.1f} req/s"
                f"  p50 {statistics.median(values):6.1f} ms  p99 {values[int(len(values) * 0.99)]:6.1f} ms"
            )
    total = sum(len(v) for v in lat.values())
    print(f"c={concurrency:<3} all steps {total / elapsed:7.1f} req/s  errors {errors}")


async def bench(url: str, password: str, levels: list[int], seconds: float) -> None:
    async with aiohttp.ClientSession() as session:
        admin = await login(session, url, "system", password)
        unit_id, member = await prepare(session, url, admin)
        await phase(session, url, member, unit_id, 4, 2.0)  # warm up
        print("--- measured")
        for c in levels:
            await phase(session, url, member, unit_id, c, seconds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--password")
    parser.add_argument("--levels", default="1,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if args.url:
        asyncio.run(bench(args.url.rstrip("/"), args.password, levels, args.seconds))
        return 0
    password = secrets.token_urlsafe(12)
    with own_stack(password) as url:
        asyncio.run(bench(url, password, levels, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
