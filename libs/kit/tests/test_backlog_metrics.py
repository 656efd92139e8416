"""The backlog gauges the alerts rely on, against real PostgreSQL and NATS JetStream:
the outbox's (exact, beyond one batch, also while NATS is away) and each consumer's
(pending events and the age of the oldest, also while its handler hangs)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.struct_pb2 import Value
from prometheus_client import REGISTRY

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.streams import EVENT_TYPE_HEADER, connect, ensure_stream

MIGRATIONS = Path(__file__).parent / "migrations"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    from helpdesk_kit.migrations import upgrade

    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=MIGRATIONS)
    async with Database(database_url, schema=schema, pool_size=4) as database:
        yield database


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(part: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(part.run())
    try:
        yield
    finally:
        part.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_the_outbox_gauge_counts_every_unpublished_event_past_one_batch_while_nats_is_away(
    db: Database, nats_url: str
) -> None:
    async with db.unit_of_work() as uow:
        for i in range(1200):  # more than the relay's batch of 500
            await uow.record_event(f"{db.schema}.Said", Value(string_value=f"e{i}"))
        await uow.commit()
    away = await connect(nats_url, name="test")
    await away.close()  # every call through it fails, as while NATS is unreachable

    async with running(OutboxRelay(db=db, js=away.jetstream(), service=db.schema)):
        await eventually(lambda: gauge("outbox_pending", service=db.schema) == 1200)
    assert (gauge("outbox_oldest_pending_seconds", service=db.schema) or 0) > 0

    nc = await connect(nats_url, name="test")
    try:
        async with running(OutboxRelay(db=db, js=nc.jetstream(), service=db.schema, batch=100)):
            await eventually(lambda: gauge("outbox_pending", service=db.schema) == 0, timeout=30)
        assert gauge("outbox_oldest_pending_seconds", service=db.schema) == 0
        assert await db.pool.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await nc.close()


async def _publish(nats_url: str, service: str, texts: list[str]) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    await ensure_stream(js, service)
    for text in texts:
        await js.publish(
            f"{service}.Value",
            Value(string_value=text).SerializeToString(),
            headers={"Nats-Msg-Id": f"{service}-{text}", EVENT_TYPE_HEADER: "google.protobuf.Value"},
        )
    await nc.close()


async def test_a_consumer_stuck_in_its_handler_reports_its_unfinished_events_and_their_age(
    db: Database, nats_url: str
) -> None:
    await _publish(nats_url, db.schema, ["a", "b", "c"])
    stuck = asyncio.Event()

    async def hangs(uow: UnitOfWork, event: Event[Any]) -> None:
        stuck.set()
        await asyncio.sleep(3600)

    nc = await connect(nats_url, name="test")
    name = f"c{secrets.token_hex(3)}"
    consumer = Consumer(
        name=name,
        db=db,
        js=nc.jetstream(),
        source_service=db.schema,
        routes=[Route(Value, hangs)],
        measure_every=0.1,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(stuck.wait(), timeout=10)
        await asyncio.sleep(1.2)
        await eventually(lambda: (gauge("consumer_lag_seconds", consumer=name) or 0) >= 1.0)
        assert gauge("consumer_pending", consumer=name) == 3
    finally:
        consumer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await nc.close()


async def test_a_consumer_that_has_caught_up_reports_no_backlog_and_no_lag(
    db: Database, nats_url: str
) -> None:
    await _publish(nats_url, db.schema, ["a", "b"])
    handled: list[str] = []

    async def handle(uow: UnitOfWork, event: Event[Any]) -> None:
        handled.append(event.message.string_value)

    nc = await connect(nats_url, name="test")
    name = f"c{secrets.token_hex(3)}"
    consumer = Consumer(
        name=name, db=db, js=nc.jetstream(), source_service=db.schema, routes=[Route(Value, handle)]
    )
    try:
        await consumer.measure()  # before it exists: nothing to report, and no error
        async with running(consumer):
            await eventually(lambda: handled == ["a", "b"])
            await consumer.measure()
        assert gauge("consumer_pending", consumer=name) == 0
        assert gauge("consumer_lag_seconds", consumer=name) == 0
    finally:
        await nc.close()


async def test_after_commit_callbacks_run_once_committed_and_never_after_a_rollback(db: Database) -> None:
    calls: list[str] = []
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: calls.append("committed"))
        assert calls == []
        await uow.commit()
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            uow.after_commit(lambda: calls.append("rolled back"))
            raise RuntimeError("use case failed")

    assert calls == ["committed"]
