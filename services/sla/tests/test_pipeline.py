"""The sla process's parts on real PostgreSQL and NATS: TicketCreated in, one SlaBreached out.

The consumer, the timers and the outbox relay run as in ``app.serve``; the ticket
event is published to JetStream the way the tickets service's relay does.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as tev
from helpdesk.tickets.v1 import tickets_pb2 as tpb
from prometheus_client import REGISTRY

from helpdesk_kit.db import Database
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER, connect, ensure_stream
from helpdesk_sla import usecases
from helpdesk_sla.consumers import routes
from helpdesk_sla.domain import Actor, Limits
from helpdesk_sla.timers import Scheduler

ADMIN = Actor(1, False, "department_head", (), True)


@contextlib.asynccontextmanager
async def running(*parts: Any) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(p.run()) for p in parts]
    try:
        yield
    finally:
        for p in parts:
            p.stop()
        await asyncio.wait(tasks, timeout=10)


def _breaches_counted() -> float:
    return REGISTRY.get_sample_value("sla_breaches_total", {"clock": "reaction"}) or 0.0


async def test_a_three_second_reaction_limit_publishes_one_breach_three_seconds_after_creation(
    db: Database, nats_url: str
) -> None:
    counted_before = _breaches_counted()
    plan = await usecases.create_plan(
        db=db, actor=ADMIN, name="3 s", calendar_id=None, limits={"normal": Limits(reaction=3)}
    )
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    await ensure_stream(js, "tickets")
    await ensure_stream(js, "sla")
    ticket_id = secrets.randbelow(10**9) + 1
    breaches: list[float] = []

    async def on_breach(msg: Any) -> None:
        if sla_events.SlaBreached.FromString(msg.data).ticket_id == ticket_id:
            breaches.append(time.time())

    await nc.subscribe("sla.SlaBreached", cb=on_breach)
    consumer = Consumer(
        name="sla-tickets-" + secrets.token_hex(3),
        db=db,
        js=js,
        source_service="tickets",
        routes=routes(usecases.Policy()),
    )
    try:
        async with running(consumer, Scheduler(db=db), OutboxRelay(db=db, js=js, service="sla")):
            created = time.time()
            now = Timestamp()
            now.GetCurrentTime()
            event = tev.TicketCreated(
                occurred_at=now,
                sla_plan_id=plan.id,
                ticket=tpb.Ticket(
                    id=ticket_id,
                    state=tpb.STATE_NEW,
                    priority=tpb.PRIORITY_NORMAL,
                    unit_id=4,
                    assignee_ids=[9],
                    created_at=now,
                    sla_plan_id=plan.id,
                    version=1,
                ),
            )
            headers = {
                MSG_ID_HEADER: str(uuid.uuid4()),
                EVENT_TYPE_HEADER: "helpdesk.tickets.v1.TicketCreated",
            }
            for _ in range(2):  # published twice (a relay retry): still one breach
                await js.publish("tickets.TicketCreated", event.SerializeToString(), headers=headers)
            await asyncio.sleep(6)
    finally:
        await nc.drain()
    assert len(breaches) == 1
    assert 2.9 <= breaches[0] - created <= 4.0
    # The breach is counted once for /metrics (the dashboard's and the alerts' sla_breaches_total).
    assert _breaches_counted() == counted_before + 1
