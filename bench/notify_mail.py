"""Notify delivery benchmark: e-mail throughput, an SMTP outage, and event → pop-up latency.

Starts its own PostgreSQL (durable) and NATS, migrates notify's schema, and runs:

1. **outage**: the SMTP server is down while ``--tickets`` TicketCreated facts are
   consumed (3 recipients each) and the mail worker retries; after ``--outage``
   seconds an aiosmtpd sink starts on that port. Prints how many mails arrived,
   how many distinct Message-IDs, duplicates, and the time to drain.
2. **throughput**: the same again with the sink up: mails per second from the
   queue to the local sink (one worker, one SMTP connection per batch).
3. **latency**: facts published on JetStream and consumed by the kit's
   ``Consumer`` with notify's routes; event → pop-up stored latency p50/p99
   (publish time → the pop-up row's ``created_at``).

    .venv/bin/python bench/notify_mail.py                    # 500 tickets, 60 s outage
    .venv/bin/python bench/notify_mail.py --tickets 100 --outage 5

A benchmark, not a test: it asserts nothing and is never run by ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "services" / "notify"))

from helpdesk.tickets.v1 import events_pb2 as t  # noqa: E402
from helpdesk.tickets.v1 import tickets_pb2  # noqa: E402
from tests.conftest import PEOPLE, UNIT_A  # noqa: E402
from tests.drive import consume, mail_worker, use_smtp  # noqa: E402
from tests.fakes import Directory, SmtpSink, free_port  # noqa: E402

import helpdesk_notify  # noqa: E402
from helpdesk_devstack.servers import NatsServer, PostgresServer  # noqa: E402
from helpdesk_kit.db import Database  # noqa: E402
from helpdesk_kit.inbox import Consumer  # noqa: E402
from helpdesk_kit.logs import configure_logging  # noqa: E402
from helpdesk_kit.migrations import upgrade  # noqa: E402
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER, connect, ensure_stream  # noqa: E402
from helpdesk_notify.consumers import routes  # noqa: E402

MIGRATIONS = Path(helpdesk_notify.__file__).parent / "migrations"


def created(n: int) -> t.TicketCreated:
    ticket = tickets_pb2.Ticket(id=n, number=n, subject=f"Bench ticket {n}", unit_id=UNIT_A)
    return t.TicketCreated(actor_id=12, ticket=ticket)  # → 10, 11, 13 by "created"


async def fresh_db(pg: PostgresServer) -> Database:
    url = pg.create_database(f"bench_{uuid.uuid4().hex[:12]}")
    await upgrade(database_url=url, schema="notify", script_location=MIGRATIONS)
    db = Database(url, schema="notify", pool_size=4)
    await db.connect()
    return db


async def outage(pg: PostgresServer, tickets: int, outage_s: float) -> None:
    db = await fresh_db(pg)
    directory = Directory(PEOPLE)
    sink = SmtpSink(port=free_port())
    await use_smtp(db, sink.port)
    worker = mail_worker(
        db,
        base_seconds=1.0,
        cap_seconds=10.0,
        horizon_seconds=3600,
        circuit_base_seconds=1.0,
        circuit_cap_seconds=10.0,
    )
    task = asyncio.create_task(worker.run())
    t0 = time.monotonic()
    for n in range(1, tickets + 1):
        await consume(db, routes(directory), created(n))
    consumed = time.monotonic() - t0
    await asyncio.sleep(max(outage_s - consumed, 0))
    async with db.unit_of_work() as uow:
        retries = await uow.conn.fetchval("SELECT count(*) FROM delivery_log WHERE outcome = 'retry'")
    sink.start()
    back = time.monotonic()
    expected = tickets * 3
    while len(sink.messages) < expected and time.monotonic() - back < 600:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    drained = time.monotonic() - back
    await asyncio.sleep(2.0)  # any duplicate would arrive now
    worker.stop()
    await task
    sink.stop()
    ids = [str(m["Message-ID"]) for _, m in sink.messages]
    print(
        f"outage: {tickets} tickets consumed in {consumed:.1f}s while SMTP was down {outage_s:.0f}s "
        f"({retries} failed attempts logged); after it came back: {len(sink.messages)}/{expected} mails "
        f"in {drained:.1f}s, {len(set(ids))} distinct Message-IDs, {len(ids) - len(set(ids))} duplicates"
    )
    await db.close()


async def throughput(pg: PostgresServer, tickets: int, per_transaction: int) -> None:
    db = await fresh_db(pg)
    directory = Directory(PEOPLE)
    sink = SmtpSink()
    sink.start()
    await use_smtp(db, sink.port)
    t0 = time.monotonic()
    for n in range(1, tickets + 1):
        await consume(db, routes(directory), created(n))
    consume_s = time.monotonic() - t0
    worker = mail_worker(db, per_transaction=per_transaction)
    t1 = time.monotonic()
    while await worker.run_once():
        pass
    while len(sink.messages) < tickets * 3 and time.monotonic() - t1 < 120:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    send_s = time.monotonic() - t1
    sink.stop()
    print(
        f"throughput: consumed {tickets} facts ({tickets * 3} pop-ups + {tickets * 3} queued mails) "
        f"at {tickets / consume_s:.0f} facts/s; sent {len(sink.messages)} mails at "
        f"{len(sink.messages) / send_s:.0f} mails/s (one worker, {per_transaction} mails per transaction)"
    )
    await db.close()


async def latency(pg: PostgresServer, nats: NatsServer, events: int) -> None:
    db = await fresh_db(pg)
    nc = await connect(nats.url, name="bench")
    js = nc.jetstream()
    await ensure_stream(js, "tickets")
    consumer = Consumer(
        name=f"notify-bench-{uuid.uuid4().hex[:6]}",
        db=db,
        js=js,
        source_service="tickets",
        routes=routes(Directory(PEOPLE)),
    )
    task = asyncio.create_task(consumer.run())
    sent: dict[int, float] = {}
    await asyncio.sleep(0.5)
    for n in range(1, events + 1):
        msg = created(n)
        sent[n] = datetime.now(UTC).timestamp()
        await js.publish(
            "tickets.TicketCreated",
            msg.SerializeToString(),
            headers={EVENT_TYPE_HEADER: msg.DESCRIPTOR.full_name, MSG_ID_HEADER: f"bench-{uuid.uuid4()}"},
        )
        await asyncio.sleep(0.02)  # ~50 facts/s: latency, not saturation
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with db.unit_of_work() as uow:
            rows = await uow.conn.fetch(
                "SELECT ticket_id, min(created_at) AS at FROM notifications GROUP BY ticket_id"
            )
        if len(rows) >= events:
            break
        await asyncio.sleep(0.2)
    consumer.stop()
    await task
    await nc.close()
    lat = sorted((r["at"].timestamp() - sent[r["ticket_id"]]) * 1000 for r in rows)
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"latency: event published → pop-up stored, {len(lat)} facts: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--per-transaction", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--skip-outage", action="store_true")
    args = parser.parse_args()
    configure_logging(service="bench", level="WARNING", fmt="console")
    with tempfile.TemporaryDirectory() as tmp:
        pg = PostgresServer(Path(tmp) / "pg")
        pg.start()
        try:
            with NatsServer(Path(tmp) / "nats") as nats:
                for per_tx in args.per_transaction:
                    await throughput(pg, args.tickets, per_tx)
                await latency(pg, nats, args.latency_events)
                if not args.skip_outage:
                    await outage(pg, args.tickets, args.outage)
        finally:
            pg.destroy()


if __name__ == "__main__":
    asyncio.run(main())
