"""Realtime bench: N concurrent sockets on one replica, and event → pop-up latency under load.

    .venv/bin/python bench/realtime_sockets.py [--sockets 5000] [--seconds 20] [--rate 200] [--fanout-rate 20]

Starts its own NATS and Redis (free ports, temporary directory) and one realtime
replica as a separate process (the real app: ``helpdesk_realtime.app.running``
served by uvicorn; tokens signed with a bench key the replica trusts). Then:

1. opens ``--sockets`` WebSockets (one user each, staff in 50 units) and reports
   the replica's RSS growth per socket;
2. publishes, for ``--seconds``, ``--rate`` pop-ups a second to random users (the
   publish time in the title) plus ``--fanout-rate`` ticket events a second, each
   seen by a whole unit (~N/50 sockets), and reports the publish → socket
   latency of the pop-ups (p50/p95/p99/max).

Prints figures, asserts nothing. Clients run in this process (Python too), so the
measured latency includes the client's own event-loop delay.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------- replica


async def run_replica(port: int, nats_url: str, redis_url: str, pub_pem_path: str) -> None:
    import nats

    from helpdesk_kit.http import http_server
    from helpdesk_realtime.app import open_redis, running
    from helpdesk_realtime.config import Settings
    from helpdesk_realtime.domain import Viewer

    raise_nofile()
    pem = Path(pub_pem_path).read_bytes()  # noqa: ASYNC240 - once, at start

    async def fetch_keys() -> dict[str, bytes]:
        return {"bench": pem}

    class NoAccess:
        async def can_view(self, viewer: Viewer, ticket_id: int, *, session_id: str) -> bool:
            return False

    settings = Settings(
        nats_url=nats_url,
        redis_url=redis_url,
        identity_addr="127.0.0.1:1",
        tickets_addr="127.0.0.1:1",
        http_port=port,
        log_level="WARNING",
    )
    nc = await nats.connect(nats_url)
    redis = open_redis(settings)
    async with running(settings, nc=nc, redis=redis, fetch_keys=fetch_keys, access=NoAccess()) as rt:
        server = http_server(rt.app, port=port)
        server.config.backlog = 8192
        await server.serve()


# --------------------------------------------------------------------------- driver


def make_token(key: Any, user_id: int, unit: int) -> str:
    import jwt

    now = time.time()
    claims = {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": str(user_id),
        "iat": int(now),
        "exp": now + 3600,
        "login": f"u{user_id}",
        "kind": "staff",
        "role": "unit_member",
        "units": [unit],
        "adm": False,
        "cg": None,
        "cgl": False,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "bench"})


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def drive(args: argparse.Namespace) -> None:  # noqa: C901 - one linear script
    import nats
    import orjson
    import websockets
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from google.protobuf.timestamp_pb2 import Timestamp
    from helpdesk.notify.v1 import events_pb2 as notify_events
    from helpdesk.notify.v1 import notify_pb2
    from helpdesk.tickets.v1 import events_pb2 as ticket_events
    from helpdesk.tickets.v1 import tickets_pb2

    from helpdesk_devstack.servers import NatsServer, RedisServer, free_port

    limit = raise_nofile()
    print(f"open files limit: {limit}")
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        NatsServer(Path(tmp) / "nats") as ns,
        RedisServer(Path(tmp) / "redis") as rs,
    ):
        pem_path = Path(tmp) / "pub.pem"
        pem_path.write_bytes(pem)
        port = free_port()
        replica = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
            [sys.executable, __file__, "replica", str(port), ns.url, rs.url, str(pem_path)],
            env={**os.environ, "HELPDESK_LOG_LEVEL": "WARNING"},
        )
        try:
            await wait_ready(port)
            await asyncio.sleep(1.0)
            base_rss = rss_kib(replica.pid)
            units = 50
            latencies: list[float] = []
            received = 0

            async def client(user_id: int) -> Any:
                # A program, not a page: the token in the Authorization header.
                token = make_token(key, user_id, user_id % units)
                ws = await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws",
                    additional_headers={"Authorization": f"Bearer {token}"},
                    open_timeout=60,
                    ping_interval=None,
                    compression=None,
                )
                await ws.recv()  # hello
                return ws

            t0 = time.monotonic()
            sockets: list[Any] = []
            batch = 200
            for start in range(1, args.sockets + 1, batch):
                ids = range(start, min(start + batch, args.sockets + 1))
                sockets += await asyncio.gather(*(client(u) for u in ids))
            opened = time.monotonic() - t0
            await asyncio.sleep(2.0)
            full_rss = rss_kib(replica.pid)
            print(f"sockets open: {len(sockets)} in {opened:.1f} s")
            print(
                f"replica RSS: {base_rss / 1024:.1f} MiB idle → {full_rss / 1024:.1f} MiB with "
                f"{len(sockets)} sockets = {(full_rss - base_rss) / len(sockets):.1f} KiB per socket"
            )

            async def reader(ws: Any) -> None:
                nonlocal received
                with contextlib.suppress(websockets.exceptions.ConnectionClosed):
                    async for raw in ws:
                        now = time.time()
                        msg = orjson.loads(raw)
                        received += 1
                        if msg.get("type") == "notification" and msg["title"].startswith("t="):
                            latencies.append((now - float(msg["title"][2:])) * 1000)

            readers = [asyncio.create_task(reader(ws)) for ws in sockets]
            cpu_replica, cpu_driver = cpu_seconds(replica.pid), time.process_time()
            nc = await nats.connect(ns.url)
            seq = 0
            end = time.monotonic() + args.seconds
            fan_every = args.rate // max(args.fanout_rate, 1) if args.fanout_rate else 0
            sent = 0
            while time.monotonic() < end:
                tick = time.monotonic()
                for _ in range(max(args.rate // 10, 1)):
                    seq += 1
                    n = notify_pb2.Notification(
                        id=seq,
                        user_id=random.randint(1, args.sockets),
                        event="ticket.created",
                        title=f"t={time.time()}",
                    )
                    n.created_at.CopyFrom(Timestamp(seconds=int(time.time())))
                    await nc.publish(
                        "notify.NotificationCreated",
                        notify_events.NotificationCreated(notification=n).SerializeToString(),
                        headers={"Nats-Msg-Id": f"n{seq}"},
                    )
                    sent += 1
                    if fan_every and seq % fan_every == 0:
                        unit = random.randrange(units)
                        t = tickets_pb2.Ticket(id=seq, unit_id=unit, author_id=0, state=1)
                        # sent to the unit as a whole: its heads and members see it
                        seen_by = ticket_events.TicketAudience(head_unit_ids=[unit], member_unit_ids=[unit])
                        await nc.publish(
                            "tickets.TicketEdited",
                            ticket_events.TicketEdited(
                                actor_id=0, ticket=t, audience=seen_by
                            ).SerializeToString(),
                            headers={"Nats-Msg-Id": f"t{seq}"},
                        )
                await nc.flush()
                await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
            await asyncio.sleep(2.0)
            print(
                f"load: {sent} pop-ups in {args.seconds} s ({args.rate}/s) + ticket events "
                f"{args.fanout_rate}/s to ~{args.sockets // units} sockets each; "
                f"socket messages received: {received}"
            )
            if latencies:
                print(
                    f"pop-up latency publish → socket (ms, n={len(latencies)}): "
                    f"p50 {statistics.median(latencies):.1f}  p95 {pct(latencies, 0.95):.1f}  "
                    f"p99 {pct(latencies, 0.99):.1f}  max {max(latencies):.1f}"
                )
            print(
                f"CPU during load: replica {cpu_seconds(replica.pid) - cpu_replica:.1f} s, "
                f"driver (clients + publisher) {time.process_time() - cpu_driver:.1f} s "
                f"over {args.seconds + 2} s wall"
            )
            print(f"replica RSS at end: {rss_kib(replica.pid) / 1024:.1f} MiB")
            for task in readers:
                task.cancel()
            await nc.close()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        finally:
            replica.terminate()
            try:
                replica.wait(timeout=10)
            except subprocess.TimeoutExpired:
                replica.kill()


async def wait_ready(port: int) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("replica not ready")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "replica":
        port, nats_url, redis_url, pem = sys.argv[2:6]
        asyncio.run(run_replica(int(port), nats_url, redis_url, pem))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--fanout-rate", type=int, default=20)
    asyncio.run(drive(parser.parse_args()))


if __name__ == "__main__":
    main()
