"""Consumers applying a fetched batch in one transaction: once, in order, only the poison
parked, and nothing half applied when the process is killed in the middle of a batch.

Real PostgreSQL and NATS JetStream; the kill test runs the consumer as a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.struct_pb2 import Value
from nats.js import JetStreamContext

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.migrations import upgrade
from helpdesk_kit.streams import EVENT_TYPE_HEADER, connect, ensure_stream

HERE = Path(__file__).parent


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=HERE / "migrations")
    async with Database(database_url, schema=schema, pool_size=4) as database:
        await database.pool.execute(
            "CREATE TABLE applied (n bigserial PRIMARY KEY, text text NOT NULL, tx bigint NOT NULL"
            " DEFAULT txid_current())"
        )
        yield database


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect(nats_url, name="test")
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


class Applies:
    """Writes a row per event; raises on the poison text after writing."""

    def __init__(self, poison: str | None = None) -> None:
        self.calls = 0
        self.poison = poison

    async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
        self.calls += 1
        await uow.conn.execute("INSERT INTO applied (text) VALUES ($1)", event.message.string_value)
        if event.message.string_value == self.poison:
            raise ValueError("poison")


async def publish(js: JetStreamContext, service: str, texts: list[str]) -> None:
    await ensure_stream(js, service)
    for text in texts:
        await js.publish(
            f"{service}.Value",
            Value(string_value=text).SerializeToString(),
            headers={"Nats-Msg-Id": f"id-{text}", EVENT_TYPE_HEADER: "google.protobuf.Value"},
        )


async def applied(db: Database) -> list[str]:
    return [r["text"] for r in await db.pool.fetch("SELECT text FROM applied ORDER BY n")]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[None]:
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=10)


def consumer(db: Database, js: JetStreamContext, handler: Applies, **kw: Any) -> Consumer:
    return Consumer(
        name=kw.pop("name", f"c{secrets.token_hex(3)}"),
        db=db,
        js=js,
        source_service=db.schema,
        routes=[Route(Value, handler)],
        **kw,
    )


TEXTS = [f"e{i:03}" for i in range(60)]


async def test_a_waiting_batch_is_applied_in_few_transactions_in_order_and_once(
    db: Database, js: JetStreamContext
) -> None:
    await publish(js, db.schema, TEXTS)
    handler = Applies()
    async with running(consumer(db, js, handler)):

        async def done() -> bool:
            return len(await applied(db)) >= len(TEXTS)

        await eventually(done)
    assert await applied(db) == TEXTS and handler.calls == len(TEXTS)
    transactions = await db.pool.fetchval("SELECT count(DISTINCT tx) FROM applied")
    assert transactions <= 3  # 60 events waiting: one or two fetches, not sixty commits
    assert await db.pool.fetchval("SELECT count(*) FROM inbox") == len(TEXTS)


async def test_an_event_after_a_lone_one_is_applied_at_once_not_after_the_batching_pause(
    db: Database, js: JetStreamContext
) -> None:
    handler = Applies()
    # A pause longer than the test may wait: it may follow only a batch of several events.
    async with running(consumer(db, js, handler, linger=60.0)):
        for count, text in enumerate(("first", "second", "third"), start=1):
            await publish(js, db.schema, [text])

            async def done(count: int = count) -> bool:
                return len(await applied(db)) >= count

            await eventually(done, timeout=5)
    assert await applied(db) == ["first", "second", "third"] and handler.calls == 3


async def test_a_poison_event_in_a_batch_is_parked_alone_and_the_others_applied_once_in_order(
    db: Database, js: JetStreamContext
) -> None:
    await publish(js, db.schema, TEXTS[:20])
    async with running(consumer(db, js, Applies(poison="e007"), max_deliveries=2)):

        async def settled() -> bool:
            parked = await db.pool.fetchval("SELECT count(*) FROM dead_letters")
            return parked == 1 and len(await applied(db)) == 19

        await eventually(settled)
    assert await applied(db) == [t for t in TEXTS[:20] if t != "e007"]
    assert await db.pool.fetchval("SELECT event_id FROM dead_letters") == "id-e007"


async def test_a_consumer_killed_mid_batch_leaves_nothing_half_applied_and_is_applied_once_after(
    db: Database, js: JetStreamContext, database_url: str, nats_url: str
) -> None:
    texts = TEXTS[:30]
    await publish(js, db.schema, texts)
    name = f"c{secrets.token_hex(3)}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "consumer_process.py"),
        database_url,
        db.schema,
        nats_url,
        name,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        for _ in range(5):  # five events of the batch written, the transaction still open
            line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
            assert line.startswith(b"applied")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()
    assert await applied(db) == []  # the batch died with its transaction
    handler = Applies()
    async with running(consumer(db, js, handler, name=name, ack_wait=1.0)):

        async def done() -> bool:
            return len(await applied(db)) >= len(texts)

        await eventually(done)
        await asyncio.sleep(1.2)  # past another ack_wait: nothing arrives a second time
    assert await applied(db) == texts and handler.calls == len(texts)
    assert await db.pool.fetchval("SELECT count(*) FROM inbox") == len(texts)
