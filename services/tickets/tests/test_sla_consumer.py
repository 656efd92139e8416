"""The SLA service's verdict reaches the ticket through NATS, so lists can filter on it."""

from __future__ import annotations

import asyncio
import uuid

import nats
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2

from helpdesk_kit.db import Database
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.streams import EVENT_TYPE_HEADER, MSG_ID_HEADER, ensure_stream
from helpdesk_tickets import consumers, usecases, wire
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, ListQuery, NewTicket, Priority, Role

HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))


async def test_a_breached_clock_makes_the_ticket_show_under_the_breached_filter(
    db: Database, units: UnitDirectory, nats_url: str
) -> None:
    new = NewTicket("Mail down", "", Priority.HIGH, 10, [], None, "web")
    t = await usecases.create_ticket(db=db, units=units, actor=HEAD, new=new, idempotency_key=None)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "sla")
    event = sla_events.SlaStateChanged(ticket_id=t.id, state=sla_pb2.CLOCK_STATE_BREACHED)
    await js.publish(
        "sla.SlaStateChanged",
        event.SerializeToString(),
        headers={MSG_ID_HEADER: str(uuid.uuid4()), EVENT_TYPE_HEADER: event.DESCRIPTOR.full_name},
    )
    consumer = Consumer(
        name=f"tickets-sla-{uuid.uuid4().hex[:6]}",
        db=db,
        js=js,
        source_service="sla",
        routes=consumers.SLA_ROUTES,
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(100):
            found, _ = await usecases.list_tickets(
                db=db, actor=HEAD, query=ListQuery(sla_states=["breached"]), cursor=None
            )
            if found:
                break
            await asyncio.sleep(0.1)
        assert [x.id for x in found] == [t.id]
        assert wire.ticket_to_pb(found[0]).sla_state == "breached"  # what lists answer
    finally:
        consumer.stop()
        await task
        await nc.close()


async def test_an_sla_warning_and_a_breach_each_enter_the_history_once(
    db: Database, units: UnitDirectory, nats_url: str
) -> None:
    new = NewTicket("Printer", "", Priority.NORMAL, 10, [], None, "web")
    t = await usecases.create_ticket(db=db, units=units, actor=HEAD, new=new, idempotency_key=None)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "sla")
    due = Timestamp(seconds=1_800_000_000)
    facts = [
        sla_events.SlaWarning(ticket_id=t.id, clock=sla_pb2.CLOCK_KIND_REACTION, due_at=due),
        sla_events.SlaBreached(ticket_id=t.id, clock=sla_pb2.CLOCK_KIND_REACTION, due_at=due),
    ]
    for fact in facts:
        msg_id = str(uuid.uuid4())
        for _ in range(2):  # delivered twice: recorded once
            await js.publish(
                f"sla.{fact.DESCRIPTOR.name}",
                fact.SerializeToString(),
                headers={MSG_ID_HEADER: msg_id, EVENT_TYPE_HEADER: fact.DESCRIPTOR.full_name},
            )
    consumer = Consumer(
        name=f"tickets-sla-{uuid.uuid4().hex[:6]}",
        db=db,
        js=js,
        source_service="sla",
        routes=consumers.SLA_ROUTES,
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(100):
            entries = await usecases.ticket_history(db=db, actor=HEAD, ticket_id=t.id)
            if len(entries) >= 3:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        entries = await usecases.ticket_history(db=db, actor=HEAD, ticket_id=t.id)
        assert [e.action for e in entries] == ["created", "sla_warning", "sla_breached"]
        assert entries[1].actor_id == 0
        assert entries[2].changes == {
            "clock": [None, "reaction"],
            "due_at": [None, "2027-01-15T08:00:00+00:00"],
        }
    finally:
        consumer.stop()
        await task
        await nc.close()
