"""Chaos run: kill -9 every process of the stack in turn under a steady load; count what
was lost or doubled and how long each recovery took.

Starts its own stack as ``make run`` does (durable PostgreSQL, supervision on: what
dies is started again with backoff), sends mail to a local SMTP sink (aiosmtpd), and
runs a steady load through the gateway: ``--rate`` ticket creates and as many comments
per second, by one staff member of a unit with two other members (each create and each
comment tells those two, by pop-up and mail). The tickets are filed under a subject whose
SLA plan gives a 20 s reaction time, so sla announces warnings and breaches all along
(tickets records them; notify tells nobody: the unit has no head and the tickets no
assignee). Then, ``--gap`` seconds apart, it kills
with SIGKILL identity, tickets, sla, notify, realtime, gateway, NATS, PostgreSQL and
Redis, one at a time, and times each recovery: from the kill until the process runs
again (supervision) and until every service answers ``/readyz`` and a request through
the gateway succeeds. The load generator behaves like a careful client: a create is
retried with its ``Idempotency-Key`` until acknowledged; a comment whose answer was lost
is looked for (after the gateway's deadline) before it is sent again.

At the end, once the consumers have caught up, it counts:

- tickets and comments acknowledged vs stored (lost: acknowledged, not stored;
  doubled: stored twice);
- per durable consumer, the events of its subjects published during the run vs
  those it recorded in its inbox, and how many it parked;
- pop-ups and mails expected (2 per stored ticket and comment) vs received (mails:
  also distinct Message-IDs — notify may resend a mail it cannot know was sent).

    .venv/bin/python bench/chaos.py                 # rate 3/s, 20 s between kills
    .venv/bin/python bench/chaos.py --rate 2 --gap 15 --only tickets,postgres

A benchmark, not a test: it prints a table and asserts nothing (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import email
import email.policy
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import nats.js.errors
from aiosmtpd.controller import Controller

from helpdesk_devstack.proctable import become_subreaper
from helpdesk_devstack.servers import free_port
from helpdesk_devstack.stack import Stack

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("identity", "tickets", "sla", "notify", "realtime", "gateway")
SERVERS = ("nats", "postgres", "redis")
# Durable consumers and the schema whose inbox holds what each applied.
CONSUMERS = {
    "tickets-sla": ("SLA", "tickets"),
    "sla-tickets": ("TICKETS", "sla"),
    "notify-tickets": ("TICKETS", "notify"),
    "notify-sla": ("SLA", "notify"),
    "notify-identity": ("IDENTITY", "notify"),
}
PASSWORD = "chaos-password"


class Sink:
    """The SMTP server notify mails to: every (recipient, Message-ID) received."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.extend((rcpt, str(msg["Message-ID"])) for rcpt in envelope.rcpt_tos)
        return "250 OK"


@dataclass
class Ledger:
    """What the load generator was told, and what it went through."""

    tickets: dict[str, int] = field(default_factory=dict)  # Idempotency-Key → ticket id
    comments: dict[str, int] = field(default_factory=dict)  # token → ticket id
    failed_tries: int = 0
    pending: set[asyncio.Task[None]] = field(default_factory=set)


class Load:
    def __init__(
        self, client: httpx.AsyncClient, token: str, unit_id: int, subject_id: int, marker: str
    ) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.unit_id = unit_id
        self.subject_id = subject_id
        self.marker = marker
        self.ledger = Ledger()

    async def run(self, rate: float, stop: asyncio.Event) -> None:
        """Starts a create and a comment every 1/rate seconds, each on its own (an outage
        piles up retrying requests instead of pausing the load)."""
        while not stop.is_set():
            for work in (self.create(), self.comment()):
                task = asyncio.create_task(work)
                self.ledger.pending.add(task)
                task.add_done_callback(self.ledger.pending.discard)
            await asyncio.sleep(1 / rate)

    async def _try(self, method: str, url: str, **kw: Any) -> httpx.Response | None:
        try:
            r = await self.client.request(
                method, url, headers={**self.headers, **kw.pop("headers", {})}, **kw
            )
        except httpx.HTTPError:
            r = None
        if r is None or r.status_code >= 500:
            self.ledger.failed_tries += 1
            return None
        return r

    async def create(self) -> None:
        key = uuid.uuid4().hex
        body = {"subject_id": self.subject_id, "body": f"{self.marker} {key}", "unit_id": self.unit_id}
        while True:
            r = await self._try("POST", "/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
            if r is not None and r.status_code == 201:
                self.ledger.tickets[key] = r.json()["id"]
                return
            if r is not None:
                print(f"create refused: {r.status_code} {r.text[:200]}", flush=True)
                return
            await asyncio.sleep(0.5)

    async def comment(self) -> None:
        if not self.ledger.tickets:
            return
        ticket_id = secrets.choice(list(self.ledger.tickets.values()))
        token = uuid.uuid4().hex
        text = f"{self.marker} comment {token}"
        while True:
            r = await self._try("POST", f"/api/v1/tickets/{ticket_id}/comments", json={"body": text})
            if r is not None and r.status_code == 201:
                self.ledger.comments[token] = ticket_id
                return
            if r is not None:
                print(f"comment refused: {r.status_code} {r.text[:200]}", flush=True)
                return
            # The answer was lost: it may have been stored. Past the gateway's deadline, look.
            await asyncio.sleep(6)
            if await self._stored(ticket_id, text):
                self.ledger.comments[token] = ticket_id
                return

    async def _stored(self, ticket_id: int, text: str) -> bool:
        while True:
            r = await self._try("GET", f"/api/v1/tickets/{ticket_id}/comments")
            if r is not None and r.status_code == 200:
                return any(c["body"] == text for c in r.json()["items"])
            await asyncio.sleep(0.5)


async def everything_ready(stack: Stack, client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    try:
        for name in SERVICES:
            if (await client.get(stack.http_url(name) + "/readyz", timeout=2)).status_code != 200:
                return False
        r = await client.get("/api/v1/tickets?limit=1", headers=headers, timeout=5)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def pid_of(stack: Stack, target: str) -> int:
    pid = stack.server(target).pid if target in SERVERS else stack.pid(target)
    if pid is None:
        raise SystemExit(f"{target} does not run")
    return pid


@dataclass
class Recovery:
    target: str
    restarted_after: float  # kill → running again (supervision)
    ready_after: float  # kill → every /readyz 200 and a request through the gateway


async def kill_and_wait(
    stack: Stack, target: str, client: httpx.AsyncClient, headers: dict[str, str]
) -> Recovery:
    pid = pid_of(stack, target)
    before = len(stack.restarts)
    killed = time.time()
    os.kill(pid, signal.SIGKILL)
    restarted = ready = None
    while ready is None or restarted is None:
        if restarted is None and any(r.name == target for r in stack.restarts[before:]):
            restarted = next(r for r in stack.restarts[before:] if r.name == target).restarted_at - killed
        if restarted is not None and ready is None and await everything_ready(stack, client, headers):
            ready = time.time() - killed
        if time.time() - killed > 300:
            raise SystemExit(f"{target} did not recover in 300 s")
        await asyncio.sleep(0.2)
    return Recovery(target, restarted, ready)


async def counts(db: asyncpg.Connection, js: Any) -> dict[str, tuple[int, int, int]]:
    """Per consumer: events of its subjects in its stream, its inbox rows, its parked events."""
    out = {}
    for consumer, (stream, schema) in CONSUMERS.items():
        info = await js.consumer_info(stream, consumer)
        subjects = info.config.filter_subjects or [info.config.filter_subject]
        state = (await js.stream_info(stream, subjects_filter=">")).state.subjects or {}
        events = sum(state.get(s, 0) for s in subjects)
        inbox = await db.fetchval(f"SELECT count(*) FROM {schema}.inbox WHERE consumer = $1", consumer)
        parked = await db.fetchval(
            f"SELECT count(*) FROM {schema}.dead_letters WHERE consumer = $1", consumer
        )
        out[consumer] = (events, inbox, parked)
    return out


async def consumers_created(js: Any) -> None:
    """Waits until every durable consumer exists (each is created once its stream is,
    which its publisher does on start: a few seconds after the stack is ready)."""
    deadline = time.monotonic() + 120
    for consumer, (stream, _) in CONSUMERS.items():
        while True:
            try:
                await js.consumer_info(stream, consumer)
                break
            except nats.js.errors.NotFoundError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"consumer {consumer} not created in 120 s") from None
                await asyncio.sleep(0.5)


async def caught_up(js: Any) -> bool:
    for consumer, (stream, _) in CONSUMERS.items():
        info = await js.consumer_info(stream, consumer)
        if (info.num_pending or 0) + (info.num_ack_pending or 0):
            return False
    return True


async def setup(client: httpx.AsyncClient, smtp_port: int) -> tuple[str, int, int, list[str]]:
    admin = (await client.post("/api/v1/auth/login", json={"login": "system", "password": PASSWORD})).json()
    h = {"Authorization": f"Bearer {admin['access_token']}"}
    mail = {"enabled": True, "host": "127.0.0.1", "port": smtp_port, "security": "none",
            "from_address": "helpdesk@example.test", "password": ""}  # fmt: skip
    assert (await client.put("/api/v1/settings/mail", json=mail, headers=h)).status_code == 200
    unit_id = (await client.post("/api/v1/units", json={"name": "Chaos"}, headers=h)).json()["id"]
    plan = {"name": "Chaos", "limits": {"normal": {"reaction": 20}}}
    plan_id = (await client.post("/api/v1/sla-plans", json=plan, headers=h)).json()["id"]
    subject = {"name": "Chaos", "sla_plan_id": plan_id}
    subject_id = (await client.post("/api/v1/subjects", json=subject, headers=h)).json()["id"]
    logins = []
    for n in range(3):
        login = f"chaos{n}{secrets.token_hex(2)}"
        user = {"login": login, "password": PASSWORD, "full_name": f"Chaos {n}",
                "email": f"{login}@example.test", "kind": "staff", "role": "unit_member",
                "unit_ids": [unit_id]}  # fmt: skip
        assert (await client.post("/api/v1/users", json=user, headers=h)).status_code == 201
        logins.append(login)
    author = await client.post("/api/v1/auth/login", json={"login": logins[0], "password": PASSWORD})
    recipients = [f"{x}@example.test" for x in logins[1:]]
    return author.json()["access_token"], unit_id, subject_id, recipients


async def chaos(stack: Stack, sink: Sink, smtp_port: int, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        token, unit_id, subject_id, recipients = await setup(client, smtp_port)
        headers = {"Authorization": f"Bearer {token}"}
        db = await asyncpg.connect(stack.database_url)
        nc = await nats.connect(stack.nats_url)
        js = nc.jetstream()
        await consumers_created(js)
        before = await counts(db, js)
        marker = f"chaos-{secrets.token_hex(3)}"
        load = Load(client, token, unit_id, subject_id, marker)
        stop = asyncio.Event()
        loader = asyncio.create_task(load.run(args.rate, stop))
        recoveries = []
        await asyncio.sleep(args.gap)
        for target in args.only:
            print(f"kill -9 {target}", flush=True)
            recovery = await kill_and_wait(stack, target, client, headers)
            again, ready = recovery.restarted_after, recovery.ready_after
            print(f"  running again after {again:.1f} s, all ready after {ready:.1f} s", flush=True)
            recoveries.append(recovery)
            if target == "postgres":  # a new server: our connection went with the old one
                db.terminate()
                db = await asyncpg.connect(stack.database_url)
            await asyncio.sleep(args.gap)
        stop.set()
        await loader
        while load.ledger.pending:
            await asyncio.wait(list(load.ledger.pending), timeout=60)
        for _ in range(args.settle * 2):  # until the consumers and the mail queue are done
            queued = await db.fetchval("SELECT count(*) FROM notify.deliveries WHERE status = 'pending'")
            if await caught_up(js) and not queued:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)
        after = await counts(db, js)
        await report(db, load, marker, recipients, sink, before, after, recoveries, args)
        await nc.close()
        await db.close()


async def report(
    db: asyncpg.Connection,
    load: Load,
    marker: str,
    recipients: list[str],
    sink: Sink,
    before: dict[str, tuple[int, int, int]],
    after: dict[str, tuple[int, int, int]],
    recoveries: list[Recovery],
    args: argparse.Namespace,
) -> None:
    ledger = load.ledger
    stored = await db.fetch("SELECT id, body FROM tickets.tickets WHERE body LIKE $1", f"{marker} %")
    by_key = collections.Counter(r["body"].split(" ", 1)[1] for r in stored)
    ids = {r["id"] for r in stored}
    bodies = await db.fetch("SELECT body FROM tickets.comments WHERE body LIKE $1", f"{marker} comment %")
    by_token = collections.Counter(r["body"].rsplit(" ", 1)[1] for r in bodies)
    popups = await db.fetchval(
        "SELECT count(*) FROM notify.notifications WHERE ticket_id = ANY($1::bigint[])", sorted(ids)
    )
    expected = len(recipients) * (len(ids) + len(bodies))
    mails = [(r, m) for r, m in sink.mails if r in recipients]
    print(f"\nload: {args.rate}/s creates and comments; {ledger.failed_tries} tries failed and were retried")
    row("what", "acknowledged / expected", "stored / received", "lost", "doubled")
    row("---", "---", "---", "---", "---")
    lost = sum(1 for k in ledger.tickets if by_key[k] == 0)
    row("tickets", len(ledger.tickets), len(stored), lost, doubled(by_key))
    lost = sum(1 for t in ledger.comments if by_token[t] == 0)
    row("comments", len(ledger.comments), len(bodies), lost, doubled(by_token))
    for consumer in CONSUMERS:
        events, applied, parked = (after[consumer][i] - before[consumer][i] for i in range(3))
        row(
            f"events → {consumer}",
            events,
            f"{applied} applied, {parked} parked",
            events - applied - parked,
            "—",
        )
    row("pop-ups", expected, popups, expected - popups, "— (one per user and fact)")
    distinct = len(set(mails))
    received = f"{len(mails)} ({distinct} distinct Message-IDs)"
    row("mails", expected, received, expected - distinct, len(mails) - distinct)
    print()
    row("killed", "running again after", "everything ready after")
    row("---", "---", "---")
    for r in recoveries:
        row(r.target, f"{r.restarted_after:.1f} s", f"{r.ready_after:.1f} s")


def row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def doubled(counts: collections.Counter[str]) -> int:
    return sum(n - 1 for n in counts.values() if n > 1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=3.0, help="creates (and comments) per second")
    parser.add_argument("--gap", type=float, default=20.0, help="seconds of steady load between kills")
    parser.add_argument("--settle", type=int, default=180, help="seconds to wait for consumers at the end")
    parser.add_argument("--only", default=",".join(SERVICES + SERVERS), help="what to kill, in order")
    args = parser.parse_args()
    args.only = [t for t in args.only.split(",") if t]
    unknown = set(args.only) - set(SERVICES + SERVERS)
    if unknown:
        parser.error(f"unknown targets: {sorted(unknown)}")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    print(f"{when}; {machine}", flush=True)
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
            env = {"HELPDESK_ADMIN_PASSWORD": PASSWORD}
            for key in ("HELPDESK_DATABASE_URL", "HELPDESK_NATS_URL", "HELPDESK_REDIS_URL"):
                env[key] = ""
            stack = Stack(ROOT / "devstack.toml", Path(tmp), durable=True, env=env, ready_timeout=300,
                          supervise=True, reap_orphans=become_subreaper())  # fmt: skip
            with stack:
                asyncio.run(chaos(stack, sink, smtp_port, args))
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
