"""Webhook delivery benchmark: deliveries per second from notify's queue to a local
receiver, in order per ticket, and the drain after the receiver was down.

Starts its own PostgreSQL, migrates notify's schema, points one webhook at an aiohttp-free
asyncio receiver on this machine (allowed by the webhook's range), records ``--tickets``
× ``--events`` ticket facts through the consumers' code path, and runs one
``WebhookWorker`` (``--per-transaction`` deliveries claimed at a time, sent at once):

1. **throughput**: the receiver up; deliveries/s until every one is sent.
2. **outage**: the receiver down for ``--outage`` seconds (backoff 0.2 s doubling to 2 s),
   then up: the time to drain after it returns.

Each run checks what arrived: every event once, a ticket's events in order.

    .venv/bin/python bench/notify_webhooks.py                 # 100 tickets × 10 events
    .venv/bin/python bench/notify_webhooks.py --tickets 20 --events 5 --outage 3

A benchmark, not a test: never run by ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from helpdesk.tickets.v1 import events_pb2 as t
from helpdesk.tickets.v1 import tickets_pb2

import helpdesk_notify
from helpdesk_devstack.servers import PostgresServer, free_port
from helpdesk_kit import sealing
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_kit.trust import UserClaims
from helpdesk_notify.domain import RetryPolicy
from helpdesk_notify.webhooks import usecases
from helpdesk_notify.webhooks.addresses import AddressGuard
from helpdesk_notify.webhooks.sender import Sender
from helpdesk_notify.webhooks.worker import WebhookWorker

MIGRATIONS = Path(helpdesk_notify.__file__).parent / "migrations"
ADMIN = UserClaims(1, "system", "staff", None, (), True, None, False)


class Receiver:
    """A minimal HTTP/1.1 server answering 204 and keeping each body (keep-alive)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.got: list[dict[str, object]] = []
        self.expected = 0
        self.all_in = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.got.append(orjson.loads(await reader.readexactly(length)))
                if len(self.got) >= self.expected:
                    self.all_in.set()
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def facts(tickets: int, events: int) -> list[tuple[str, t.TicketCreated | t.TicketCommented]]:
    out: list[tuple[str, t.TicketCreated | t.TicketCommented]] = []
    for n in range(1, tickets + 1):
        ticket = tickets_pb2.Ticket(id=n, number=n, subject=f"Bench {n}", unit_id=1)
        out.append((f"{n}-0", t.TicketCreated(ticket=ticket)))
        out += [(f"{n}-{i}", t.TicketCommented(ticket=ticket, comment_body=str(i))) for i in range(1, events)]
    # Interleaved as a busy desk would: one event of each ticket in turn.
    return sorted(out, key=lambda f: (int(f[0].split("-")[1]), int(f[0].split("-")[0])))


def check(got: list[dict[str, object]], tickets: int, events: int) -> str:
    ids = [str(e["id"]) for e in got]
    per_ticket: dict[int, list[int]] = {}
    for e in got:
        data = e["data"]
        assert isinstance(data, dict)
        comment = data.get("comment")
        per_ticket.setdefault(int(data["id"]), []).append(
            int(comment["body"]) if isinstance(comment, dict) else 0
        )
    in_order = all(seq == sorted(seq) for seq in per_ticket.values())
    return (
        f"{len(got)} received, {len(set(ids))} distinct of {tickets * events}; "
        f"in order per ticket: {'yes' if in_order else 'NO'}"
    )


async def run(pg: PostgresServer, args: argparse.Namespace, *, outage: float) -> None:
    url = pg.create_database(f"bench_{uuid.uuid4().hex[:12]}")
    await upgrade(database_url=url, schema="notify", script_location=MIGRATIONS)
    async with Database(url, schema="notify", pool_size=4) as db:
        receiver = Receiver(free_port())
        await usecases.create_webhook(
            db,
            AddressGuard(),
            ADMIN,
            usecases.WebhookInput(
                url=f"http://127.0.0.1:{receiver.port}/hook",
                events=["ticket.created", "ticket.commented"],
                unit_ids=[],
                enabled=True,
                allowed_cidr="127.0.0.1/32",
                secret="bench-secret-bench-secret",
            ),
        )
        for event_id, message in facts(args.tickets, args.events):
            async with db.unit_of_work() as uow:
                await usecases.record(uow, event_id, message)
                await uow.commit()
        sender = Sender(AddressGuard(), timeout_seconds=5)
        worker = WebhookWorker(
            db=db,
            sender=sender,
            policy=RetryPolicy(horizon_seconds=3600, base_seconds=0.2, cap_seconds=2.0),
            per_transaction=args.per_transaction,
            idle_seconds=0.05,
        )
        expected = args.tickets * args.events
        receiver.expected = expected
        if not outage:
            await receiver.start()
        started = time.monotonic()
        task = asyncio.create_task(worker.run())
        if outage:
            await asyncio.sleep(outage)
            await receiver.start()
        back = time.monotonic()
        await asyncio.wait_for(receiver.all_in.wait(), timeout=300)
        done = time.monotonic()
        worker.stop()
        await task
        await sender.close()
        await receiver.stop()
        attempts = await db.pool.fetchval("SELECT count(*) FROM webhook_log")
        if outage:
            print(
                f"outage {outage:.0f} s: drained {expected} deliveries {done - back:.2f} s after the"
                f" receiver came back; {attempts} attempts in all;"
                f" {check(receiver.got, args.tickets, args.events)}"
            )
        else:
            rate = expected / (done - started)
            print(
                f"throughput, {args.per_transaction} per transaction: {expected} deliveries in"
                f" {done - started:.2f} s = {rate:.0f}/s; {check(receiver.got, args.tickets, args.events)}"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--events", type=int, default=10, help="events per ticket")
    parser.add_argument("--per-transaction", type=int, default=20)
    parser.add_argument("--outage", type=float, default=5.0)
    args = parser.parse_args()
    sealing.configure(f"bench:{base64.b64encode(os.urandom(32)).decode()}")
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresServer(Path(tmp) / "pg")
        pg.start()
        try:
            await run(pg, args, outage=0)
            await run(pg, args, outage=args.outage)
        finally:
            pg.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
