"""The reference "lean pipeline" (docs/performance.md), measured on this machine in the same run.

FastAPI (pydantic body) → gRPC (grpc.aio) → PostgreSQL (ticket + outbox row in one
transaction, asyncpg) → JetStream publish + ack, written as plainly as possible:
no auth, no validation beyond pydantic, no tracing, no consumers. Our target is
≥ 75 % of its throughput at c=32 (docs/performance.md § Targets), so both are measured together.

    .venv/bin/python bench/lean_pipeline.py [--levels 1,8,32] [--seconds 10]

A benchmark, not a test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from create_tickets import cpu_seconds, run_phase

SERVICE = "lean.Tickets"


async def grpc_role(port: int, db_url: str, nats_url: str) -> None:
    import asyncpg
    import grpc
    import nats

    pool = await asyncpg.create_pool(db_url, min_size=4, max_size=10)
    async with pool.acquire() as c:
        await c.execute(
            "CREATE TABLE IF NOT EXISTS lean_tickets (id bigserial primary key, subject text, body text,"
            " priority text, unit_id bigint, created_at timestamptz default now());"
            "CREATE TABLE IF NOT EXISTS lean_outbox (id bigserial primary key, subject text, payload bytea)"
        )
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="LEAN", subjects=["lean.>"])

    async def create(request: bytes, context: object) -> bytes:
        t = json.loads(request)
        async with pool.acquire() as c, c.transaction():
            tid = await c.fetchval(
                "INSERT INTO lean_tickets (subject, body, priority, unit_id) VALUES ($1,$2,$3,$4) RETURNING id",
                t["subject"],
                t["body"],
                t["priority"],
                t["unit_id"],
            )
            payload = json.dumps({**t, "id": tid}).encode()
            await c.execute(
                "INSERT INTO lean_outbox (subject, payload) VALUES ($1, $2)", "lean.created", payload
            )
        await js.publish("lean.created", payload, headers={"Nats-Msg-Id": str(tid)})
        return payload

    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"Create": grpc.unary_unary_rpc_method_handler(create)}
    )
    server.add_generic_rpc_handlers([handler])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def http_role(port: int, grpc_port: int) -> None:
    import grpc
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    class TicketIn(BaseModel):
        subject: str
        body: str = ""
        priority: str = "normal"
        unit_id: int

    app = FastAPI()
    state: dict[str, object] = {}

    @app.post("/api/v1/tickets", status_code=201)
    async def create(t: TicketIn) -> dict[str, object]:
        if "call" not in state:
            ch = grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}")
            state["call"] = ch.unary_unary(f"/{SERVICE}/Create")
        call = state["call"]
        out = await call(t.model_dump_json().encode())  # type: ignore[operator]
        return json.loads(out)  # type: ignore[no-any-return]

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def lean_processes() -> dict[str, list[psutil.Process]]:
    """This run's processes by role: the two roles, PostgreSQL, NATS and the load generator."""
    found: dict[str, list[psutil.Process]] = {"load generator": [psutil.Process()]}
    for p in psutil.Process().children(recursive=True):
        try:
            cmd, name = " ".join(p.cmdline()), p.name()
        except psutil.Error:
            continue
        role = None
        if "--role grpc" in cmd:
            role = "grpc role"
        elif "--role http" in cmd:
            role = "http role"
        elif name == "postgres":
            role = "postgres"
        elif "nats-server" in cmd:
            role = "nats"
        if role:
            found.setdefault(role, []).append(p)
    return found


async def load(url: str, levels: list[int], seconds: float) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(levels) + 4)) as session:
        await run_phase(session, url, "none", 1, 4, 2.0)
        procs = lean_processes()
        for c in levels:
            before = cpu_seconds(procs)
            phase = await run_phase(session, url, "none", 1, c, seconds)
            after = cpu_seconds(procs)
            print(phase.line(), flush=True)
        print(f"\nCPU per ticket at c={phase.concurrency} (ms):", flush=True)
        total = 0.0
        for role in sorted(after, key=lambda r: after[r] - before[r], reverse=True):
            ms = (after[role] - before[role]) * 1000 / max(phase.ok, 1)
            total += ms
            print(f"  {role:<15} {ms:6.2f}")
        print(f"  {'total':<15} {total:6.2f}")


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--role", choices=["grpc", "http"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--grpc-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--nats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "grpc":
        import uvloop

        uvloop.run(grpc_role(args.port, args.db, args.nats))
        return 0
    if args.role == "http":
        http_role(args.port, args.grpc_port)
        return 0

    from helpdesk_devstack.servers import NatsServer, PostgresServer, free_port

    with tempfile.TemporaryDirectory(prefix="lean-") as tmp:
        pg, nt = PostgresServer(Path(tmp) / "pg"), NatsServer(Path(tmp) / "nats")
        with pg, nt:
            gport, hport = free_port(), free_port()
            me = [sys.executable, __file__]
            procs = [
                subprocess.Popen(
                    [*me, "--role", "grpc", "--port", str(gport), "--db", pg.url, "--nats", nt.url]
                ),
                subprocess.Popen([*me, "--role", "http", "--port", str(hport), "--grpc-port", str(gport)]),
            ]
            try:
                _wait_for_port(hport)
                time.sleep(1)  # the gRPC side connects to NATS and PostgreSQL meanwhile
                asyncio.run(
                    load(f"http://127.0.0.1:{hport}", [int(x) for x in args.levels.split(",")], args.seconds)
                )
            finally:
                for p in procs:
                    p.terminate()
                    p.wait(10)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
