"""Create-ticket throughput and latency through the whole pipeline.

Each request: bearer token verified at the gateway → gRPC → tickets writes the
ticket, its history entry and the outbox row in one transaction → the relay
publishes to JetStream → sla and notify consume it (notify stores a pop-up and
publishes it for realtime).

    .venv/bin/python bench/create_tickets.py                     # starts its own stack (durable PostgreSQL)
    .venv/bin/python bench/create_tickets.py --url http://127.0.0.1:8080 --password <admin password>

Prints requests/s, p50, p99 and errors at each concurrency, then the CPU time
each process spent per ticket during the last (highest-concurrency) phase. With the
consumers running, the unit's member holds a socket through the gateway's ``/ws`` and
each phase also reports event → pop-up: from the ticket's ``created_at`` (stamped in the
creating transaction, the same machine's clock) to the pop-up's arrival on the socket,
and how many pop-ups did not arrive within 10 s of the phase's end.
A benchmark, not a test: it asserts nothing and is never run by `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Phase:
    concurrency: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    created: dict[int, float] = field(default_factory=dict)  # ticket id → created_at (epoch s)

    def line(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        return (
            f"c={self.concurrency:<3} {self.ok / self.seconds:8.1f} req/s   p50 {p50:7.2f} ms   "
            f"p99 {p99:7.2f} ms   errors {self.errors}   ({self.ok} in {self.seconds:.1f} s)"
        )


async def login(session: aiohttp.ClientSession, url: str, user: str, password: str) -> str:
    async with session.post(f"{url}/api/v1/auth/login", json={"login": user, "password": password}) as r:
        body = await r.json()
        if r.status != 200:
            raise SystemExit(f"login failed: {r.status} {body}")
        token: str = body["access_token"]
        return token


def percentiles(values: list[float]) -> tuple[float, float]:
    lat = sorted(values)
    if not lat:
        return float("nan"), float("nan")
    return statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]


class PopupWatch:
    """The unit member's socket: when each ticket's pop-up arrived (epoch seconds)."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.stored: dict[int, float] = {}  # the pop-up's created_at (notify's transaction)
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self, session: aiohttp.ClientSession, url: str, socket_url: str, token: str) -> None:
        ws_url = socket_url.replace("http://", "ws://") + f"/ws?token={token}"
        ws = await session.ws_connect(ws_url, headers={"Origin": url}, heartbeat=20)
        hello = json.loads((await ws.receive()).data)
        if hello.get("type") != "hello":
            raise SystemExit(f"socket: unexpected first message {hello}")

        async def read() -> None:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                now = time.time()
                event = json.loads(msg.data)
                if event.get("type") == "notification" and event.get("ticket_id"):
                    self.arrived.setdefault(int(event["ticket_id"]), now)
                    stamp = event["created_at"].replace("Z", "+00:00")
                    self.stored.setdefault(int(event["ticket_id"]), datetime.fromisoformat(stamp).timestamp())
                    self._changed.set()

        self._task = asyncio.create_task(read())

    async def report(self, phase: Phase, grace: float = 10.0) -> str:
        deadline = time.time() + grace
        while time.time() < deadline and any(t not in self.arrived for t in phase.created):
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - time.time())
        lat = [(self.arrived[t] - at) * 1000 for t, at in phase.created.items() if t in self.arrived]
        missing = sum(1 for t in phase.created if t not in self.arrived)
        p50, p99 = percentiles(lat)
        # The two legs: ticket committed → notify stored the pop-up; stored → on the socket.
        seen = [t for t in phase.created if t in self.stored]
        s50, s99 = percentiles([(self.stored[t] - phase.created[t]) * 1000 for t in seen])
        d50, d99 = percentiles([(self.arrived[t] - self.stored[t]) * 1000 for t in seen])
        return (
            f"        event → pop-up p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max "
            f"{max(lat, default=float('nan')):7.2f} ms   missing {missing} of {len(phase.created)}\n"
            f"          (event → stored by notify p50 {s50:.1f} / p99 {s99:.1f} ms;"
            f" stored → socket p50 {d50:.1f} / p99 {d99:.1f} ms)"
        )


async def prepare(session: aiohttp.ClientSession, url: str, admin: str) -> tuple[int, str]:
    """A unit with one member, so that every ticket also makes notify store and push a pop-up."""
    h = {"Authorization": f"Bearer {admin}"}
    async with session.post(
        f"{url}/api/v1/units", json={"name": f"Bench {secrets.token_hex(3)}"}, headers=h
    ) as r:
        unit_id: int = (await r.json())["id"]
    login_name = f"bench{secrets.token_hex(3)}"
    member = {
        "login": login_name,
        "password": "bench-password",
        "full_name": "Bench Member",
        "kind": "staff",
        "role": "unit_member",
        "unit_ids": [unit_id],
    }
    async with session.post(f"{url}/api/v1/users", json=member, headers=h) as r:
        assert r.status == 201, await r.text()
    return unit_id, login_name


async def run_phase(
    session: aiohttp.ClientSession, url: str, token: str, unit_id: int, concurrency: int, seconds: float
) -> Phase:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = (
        b'{"subject":"Benchmark ticket","body":"Created by bench/create_tickets.py",'
        b'"priority":"normal","unit_id":%d}' % unit_id
    )
    latencies: list[float] = []
    created: dict[int, float] = {}
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            async with session.post(f"{url}/api/v1/tickets", data=body, headers=headers) as r:
                raw = await r.read()
                if r.status == 201:
                    latencies.append((time.perf_counter() - start) * 1000)
                    ticket = json.loads(raw)
                    if "created_at" in ticket:  # the lean reference's answer has no such field
                        created[ticket["id"]] = datetime.fromisoformat(ticket["created_at"]).timestamp()
                else:
                    errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Phase(concurrency, len(latencies), errors, time.perf_counter() - began, latencies, created)


def processes(own: bool) -> dict[str, list[psutil.Process]]:
    """The pipeline's processes by role, found by their command lines.

    With our own stack only this process's descendants count: other stacks on the
    same machine (someone's tests) must not be billed to this run. With ``--url``
    every matching process on the machine counts — run it on a machine to itself.
    """
    found: dict[str, list[psutil.Process]] = {}
    me = psutil.Process()
    candidates = me.children(recursive=True) if own else list(psutil.process_iter())
    for p in candidates:
        try:
            cmd, name = " ".join(p.cmdline()), p.name()
        except psutil.Error:
            continue
        role = None
        for svc in ("identity", "tickets", "sla", "notify", "realtime", "gateway", "mailin", "portal"):
            if f"helpdesk_{svc} serve" in cmd:
                role = svc
        if name == "postgres":
            role = "postgres"
        elif "nats-server" in cmd:
            role = "nats"
        if role:
            found.setdefault(role, []).append(p)
    found["load generator"] = [psutil.Process()]
    return found


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for role, ps in procs.items():
        total = 0.0
        for p in ps:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        out[role] = total
    return out


async def bench(
    url: str,
    password: str,
    levels: list[int],
    seconds: float,
    own: bool = False,
    popups: bool = True,
    socket_url: str | None = None,
) -> None:
    connector = aiohttp.TCPConnector(limit=max(levels) + 4)
    async with aiohttp.ClientSession(connector=connector) as session:
        admin = await login(session, url, "system", password)
        unit_id, member_login = await prepare(session, url, admin)
        watch: PopupWatch | None = None
        if popups:
            watch = PopupWatch()
            member = await login(session, url, member_login, "bench-password")
            await watch.start(session, url, socket_url or url, member)
        await run_phase(session, url, admin, unit_id, 4, 2.0)  # warm up caches and connections
        procs = processes(own)
        last: Phase | None = None
        before: dict[str, float] = {}
        after: dict[str, float] = {}
        for c in levels:
            before = cpu_seconds(procs)
            last = await run_phase(session, url, admin, unit_id, c, seconds)
            print(last.line(), flush=True)
            if watch is not None:
                # Waits until the fan-out has caught up, so its CPU counts in full.
                print(await watch.report(last), flush=True)
            after = cpu_seconds(procs)
        assert last is not None and last.ok
        print(f"\nCPU per ticket at c={last.concurrency} (ms):", flush=True)
        total = 0.0
        for role in sorted(after, key=lambda r: after[r] - before[r], reverse=True):
            ms = (after[role] - before[role]) * 1000 / last.ok
            total += ms
            print(f"  {role:<15} {ms:6.2f}")
        print(f"  {'total':<15} {total:6.2f}")


# A load test is the abuse the per-user limits are there to stop: they are off in its stack.
NO_RATE_LIMITS = {
    "HELPDESK_RATE_API": "",
    "HELPDESK_RATE_TICKETS": "",
    "HELPDESK_RATE_COMMENTS": "",
    "HELPDESK_RATE_UPLOADS": "",
}

# The services that only consume ticket events (the fan-out after the commit).
CONSUMERS = ("sla", "notify", "realtime")


@contextmanager
def own_stack(password: str, *, without_consumers: bool = False) -> Iterator[tuple[str, str]]:
    """A stack of our own (durable PostgreSQL). ``without_consumers`` stops the services
    that only consume events once it is up: the run then measures the create pipeline
    itself (auth, gateway, gRPC, PostgreSQL + outbox, NATS), the events waiting in
    JetStream; the fan-out's share shows in the runs with it. Yields the gateway's URL and
    realtime's: sockets go straight to realtime, as Kubernetes' ingress routes ``/ws``
    (the gateway's own ``/ws`` proxy is for one machine without an ingress)."""
    from helpdesk_devstack.stack import Stack

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stack = Stack(
            ROOT / "devstack.toml",
            Path(tmp),
            durable=True,
            env={"HELPDESK_ADMIN_PASSWORD": password, **NO_RATE_LIMITS},
            ready_timeout=180.0,  # a shared machine's load can triple the start-up
        )
        stack.start()
        if without_consumers:
            for name in CONSUMERS:
                stack.stop_service(name)
        try:
            yield stack.gateway_url, stack.http_url("realtime")
        finally:
            stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="gateway of a running stack (default: start one)")
    parser.add_argument("--password", help="password of `system` (with --url)")
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--without-consumers",
        action="store_true",
        help="own stack only: stop sla, notify and realtime first (the pipeline alone)",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if args.url:
        if not args.password:
            parser.error("--url needs --password")
        asyncio.run(bench(args.url.rstrip("/"), args.password, levels, args.seconds))
        return 0
    password = secrets.token_urlsafe(12)
    with own_stack(password, without_consumers=args.without_consumers) as (url, realtime_url):
        popups = not args.without_consumers
        asyncio.run(
            bench(url, password, levels, args.seconds, own=True, popups=popups, socket_url=realtime_url)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
