"""Beyond one node: on a three-node NATS cluster, the kit's outbox relay and consumer
deliver every event exactly once while the node leading the stream is killed.

A real cluster (three ``nats-server`` processes with routes, JetStream on each) and
real PostgreSQL; the relay and the consumer are the kit's own, connected with a
``HELPDESK_NATS_URL``-style list of all three servers, as the services are in
production. The stream has three replicas (``HELPDESK_NATS_STREAM_REPLICAS=3``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.struct_pb2 import Value

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.streams import connect, ensure_stream, stream_name, stream_replicas

from .natscluster import NatsCluster

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "libs" / "kit" / "tests" / "migrations"  # the kit's messaging tables only
EVENTS = 600
PER_TRANSACTION = 10


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path_factory.mktemp("nats-cluster"), size=3) as running:
        yield running


@pytest.fixture
def three_replicas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """HELPDESK_NATS_STREAM_REPLICAS=3 for this process, as the chart sets it for every service
    (the relay and every consumer of a stream declare it: they must agree)."""
    monkeypatch.setenv("HELPDESK_NATS_STREAM_REPLICAS", "3")
    stream_replicas.cache_clear()
    yield
    monkeypatch.undo()
    stream_replicas.cache_clear()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    from helpdesk_kit.migrations import upgrade

    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=MIGRATIONS)
    async with Database(database_url, schema=schema, pool_size=4) as database:
        await database.pool.execute("CREATE TABLE effects (event text NOT NULL)")
        yield database


async def test_an_existing_stream_takes_a_new_replica_count(cluster: NatsCluster) -> None:
    nc = await connect(cluster.url, name="test")
    js = nc.jetstream()
    service = "svc" + secrets.token_hex(4)
    try:
        await ensure_stream(js, service, replicas=1)
        before = await js.stream_info(stream_name(service))
        await ensure_stream(js, service, replicas=3)
        for _ in range(100):  # JetStream adds the copies and elects a leader among them
            after = await js.stream_info(stream_name(service))
            copies = [r for r in (after.cluster.replicas or []) if r.current] if after.cluster else []
            if after.cluster and after.cluster.leader and len(copies) == 2:
                break
            await asyncio.sleep(0.1)
    finally:
        await nc.close()

    assert before.config.num_replicas == 1
    assert after.config.num_replicas == 3
    assert after.cluster is not None and after.cluster.leader is not None
    assert len(copies) == 2  # besides the leader, two current copies


async def _produce(db: Database, halfway: asyncio.Event) -> None:
    """EVENTS events, PER_TRANSACTION per unit of work, spread over a few seconds."""
    for start in range(0, EVENTS, PER_TRANSACTION):
        async with db.unit_of_work() as uow:
            for n in range(start, start + PER_TRANSACTION):
                # <service>.<message type>: the subject the consumer's route filters on.
                await uow.record_event(f"{db.schema}.Value", Value(string_value=f"e{n}"))
            await uow.commit()
        if start >= EVENTS // 3:
            halfway.set()
        await asyncio.sleep(0.02)


async def _effect(uow: UnitOfWork, event: Event[Any]) -> None:
    await uow.conn.execute("INSERT INTO effects (event) VALUES ($1)", event.message.string_value)


@contextlib.asynccontextmanager
async def _running(*parts: Any) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(p.run()) for p in parts]
    try:
        yield
    finally:
        for p in parts:
            p.stop()
        await asyncio.wait(tasks, timeout=15)


async def test_every_event_is_delivered_once_when_the_node_leading_the_stream_dies_mid_load(
    cluster: NatsCluster, db: Database, three_replicas: None
) -> None:
    service = db.schema
    nc = await connect(cluster.url, name="relay-and-consumer")
    js = nc.jetstream()
    await ensure_stream(js, service)
    assert (await js.stream_info(stream_name(service))).config.num_replicas == 3
    relay = OutboxRelay(db=db, js=js, service=service, idle_poll_seconds=0.2, publish_timeout=2.0)
    consumer = Consumer(
        name=f"{service}-effects",
        db=db,
        js=js,
        source_service=service,
        routes=[Route(Value, _effect)],
        ack_wait=3.0,
    )
    halfway = asyncio.Event()
    try:
        async with _running(relay, consumer):
            producing = asyncio.create_task(_produce(db, halfway))
            await asyncio.wait_for(halfway.wait(), timeout=30)
            leader = (await js.stream_info(stream_name(service))).cluster.leader
            assert leader is not None
            cluster.kill(cluster.node(leader))
            await asyncio.wait_for(producing, timeout=60)

            async def all_applied() -> bool:
                return bool(await db.pool.fetchval("SELECT count(*) FROM effects") >= EVENTS)

            for _ in range(600):
                if await all_applied():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(4)  # past an ack_wait: a late redelivery would show now
        after = await js.stream_info(stream_name(service))
        new_leader = after.cluster.leader if after.cluster else None
        counts = dict(await db.pool.fetch("SELECT event, count(*) FROM effects GROUP BY event"))
        outbox_left = await db.pool.fetchval("SELECT count(*) FROM outbox")
    finally:
        await nc.close()
        if leader and not cluster.node(leader).running:
            cluster.start(cluster.node(leader))  # the next test gets three nodes again

    assert new_leader not in (None, leader)
    assert outbox_left == 0
    # A publish in flight when the leader died is repeated; the stream keeps one copy (Nats-Msg-Id).
    assert after.state.messages == EVENTS
    assert sorted(counts) == sorted(f"e{n}" for n in range(EVENTS)), "events missing"
    assert {k: v for k, v in counts.items() if v != 1} == {}, "events applied more than once"
