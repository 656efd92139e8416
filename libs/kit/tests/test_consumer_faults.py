"""Consumers against passing failures: PostgreSQL restarting under them, a service away
for longer than ``max_deliveries`` allows, handlers slower than ``ack_wait``.

Real PostgreSQL and NATS JetStream; one test runs its own PostgreSQL to stop and start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from google.protobuf.struct_pb2 import Value
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import Unavailable
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.migrations import upgrade
from helpdesk_kit.parked import ParkedFilter, list_parked, replay_parked
from helpdesk_kit.runtime import Lifecycle
from helpdesk_kit.streams import EVENT_TYPE_HEADER, connect, ensure_stream, stream_name

MIGRATIONS = Path(__file__).parent / "migrations"


async def _database(url: str) -> Database:
    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=url, schema=schema, script_location=MIGRATIONS)
    db = Database(url, schema=schema, pool_size=4)
    await db.connect()
    return db


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await _database(database_url)
    yield database
    await database.close()


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect(nats_url, name="test")
    yield nc.jetstream()
    await nc.close()


async def _publish(js: JetStreamContext, service: str, *texts: str) -> None:
    await ensure_stream(js, service)
    for text in texts:
        await js.publish(
            f"{service}.Value",
            Value(string_value=text).SerializeToString(),
            headers={"Nats-Msg-Id": f"id-{text}", EVENT_TYPE_HEADER: "google.protobuf.Value"},
        )


class Applied:
    """Writes a row per event; ``failure`` (if set) decides whether to raise first."""

    def __init__(self, failure: Callable[[str], BaseException | None] | None = None) -> None:
        self.calls = 0
        self.failure = failure

    async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
        self.calls += 1
        text = event.message.string_value
        if self.failure is not None and (exc := self.failure(text)) is not None:
            raise exc
        await uow.conn.execute("CREATE TABLE IF NOT EXISTS effects (text text)")
        await uow.conn.execute("INSERT INTO effects VALUES ($1)", text)


async def _effects(db: Database) -> list[str]:
    try:
        rows = await db.pool.fetch("SELECT text FROM effects ORDER BY text")
    except asyncpg.UndefinedTableError:
        return []
    return [r["text"] for r in rows]


async def _parked(db: Database) -> list[asyncpg.Record]:
    return list(
        await db.pool.fetch(
            "SELECT event_id, deliveries, error FROM dead_letters WHERE replayed_at IS NULL ORDER BY id"
        )
    )


def _consumer(db: Database, js: JetStreamContext, handler: Applied, **kw: Any) -> Consumer:
    return Consumer(
        name=kw.pop("name", f"c{secrets.token_hex(3)}"),
        db=db,
        js=js,
        source_service=db.schema,
        routes=[Route(Value, handler)],
        **kw,
    )


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=15)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_a_consumer_survives_postgresql_restarting_and_applies_every_event_once(
    tmp_path: Path, js: JetStreamContext
) -> None:
    pg = PostgresServer(tmp_path / "pg", durable=False)
    pg.start()
    db = await _database(pg.url)
    handler = Applied()
    # Two deliveries would park a poison event: the outage outlasts them, and parks nothing.
    consumer = _consumer(db, js, handler, max_deliveries=2, transient_cap=0.5)
    try:
        async with running(consumer) as task:
            await _publish(js, db.schema, "before")
            await eventually(lambda: _has(db, ["before"]))
            pg.stop()
            await _publish(js, db.schema, "down-1", "down-2")
            await asyncio.sleep(3.0)  # the consumer meets the dead pool, the refused connects
            pg.start()  # "the database system is starting up", then up
            await _publish(js, db.schema, "after")
            await eventually(lambda: _has(db, ["after", "before", "down-1", "down-2"]), timeout=60)
            await asyncio.sleep(1.0)  # would anything be applied twice?
            assert not task.done()
        assert await _effects(db) == ["after", "before", "down-1", "down-2"]
        assert await _parked(db) == []
        info = await js.consumer_info(stream_name(db.schema), consumer.name)
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        await db.close()
        pg.destroy()


async def _has(db: Database, texts: list[str]) -> bool:
    try:
        return await _effects(db) == texts
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False


async def test_a_service_away_longer_than_max_deliveries_is_waited_for_not_parked(
    db: Database, js: JetStreamContext
) -> None:
    away = {"identity": True}

    def failure(text: str) -> BaseException | None:
        return Unavailable("identity failed: UNAVAILABLE") if away["identity"] else None

    handler = Applied(failure)
    await _publish(js, db.schema, "x")
    consumer = _consumer(db, js, handler, max_deliveries=2, transient_cap=0.2)
    async with running(consumer):

        async def tried_often() -> bool:
            return handler.calls >= 6

        await eventually(tried_often)
        assert await _parked(db) == []
        away["identity"] = False
        await eventually(lambda: _has(db, ["x"]))
    assert await _parked(db) == []


async def test_a_transient_failure_outlasting_the_horizon_is_parked_with_its_reason(
    db: Database, js: JetStreamContext
) -> None:
    handler = Applied(lambda text: Unavailable("identity failed: UNAVAILABLE"))
    await _publish(js, db.schema, "x")
    consumer = _consumer(db, js, handler, max_deliveries=1, retry_horizon=1.5, transient_cap=0.2)
    async with running(consumer):

        async def parked() -> bool:
            return len(await _parked(db)) == 1

        await eventually(parked)
    [row] = await _parked(db)
    assert row["event_id"] == "id-x" and row["deliveries"] >= 3
    assert "still failing" in row["error"] and "UNAVAILABLE" in row["error"]


async def test_a_poison_event_is_still_parked_after_max_deliveries(
    db: Database, js: JetStreamContext
) -> None:
    handler = Applied(lambda text: ValueError("cannot handle") if text == "bad" else None)
    await _publish(js, db.schema, "bad", "good")
    async with running(_consumer(db, js, handler, max_deliveries=2)):

        async def settled() -> bool:
            return await _effects(db) == ["good"] and len(await _parked(db)) == 1

        await eventually(settled, timeout=20)
    [row] = await _parked(db)
    assert row["deliveries"] == 2 and "cannot handle" in row["error"]


async def test_jetstream_never_gives_up_on_its_own_even_for_a_consumer_made_with_a_limit(
    db: Database, js: JetStreamContext
) -> None:
    await ensure_stream(js, db.schema)
    name = f"c{secrets.token_hex(3)}"
    await js.add_consumer(
        stream_name(db.schema),
        ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT, max_deliver=5, ack_wait=30),
    )
    async with running(_consumer(db, js, Applied(), name=name, ack_wait=12.0)):

        async def updated() -> bool:
            info = await js.consumer_info(stream_name(db.schema), name)
            return info.config.max_deliver == -1 and info.config.ack_wait == 12.0

        await eventually(updated)


async def test_a_handler_slower_than_ack_wait_keeps_its_message_and_runs_once(
    db: Database, js: JetStreamContext
) -> None:
    class Slow(Applied):
        async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
            await asyncio.sleep(2.5)
            await super().__call__(uow, event)

    handler = Slow()
    await _publish(js, db.schema, "slow")
    consumer = _consumer(db, js, handler, ack_wait=1.0)
    async with running(consumer):
        await eventually(lambda: _has(db, ["slow"]))
        await asyncio.sleep(1.5)
    info = await js.consumer_info(stream_name(db.schema), consumer.name)
    assert handler.calls == 1 and info.num_redelivered == 0


async def test_a_supervised_loop_is_restarted_after_a_transient_failure_but_a_bug_stops_the_process() -> None:
    life = Lifecycle()
    starts = 0

    async def loop() -> None:
        nonlocal starts
        starts += 1
        if starts < 3:
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        if starts == 3:
            raise ValueError("a bug")

    task = life.supervise(loop, name="loop")
    await asyncio.wait_for(life.stopping.wait(), timeout=10)
    assert starts == 3
    with pytest.raises(ValueError):
        await task


async def test_a_parked_event_is_replayed_once_however_often_it_is_replayed(
    db: Database, js: JetStreamContext
) -> None:
    broken = {"yes": True}
    handler = Applied(lambda text: ValueError("a bug") if broken["yes"] else None)
    await _publish(js, db.schema, "p", "q")
    consumer = _consumer(db, js, handler, max_deliveries=1)
    async with running(consumer):

        async def both_parked() -> bool:
            return len(await _parked(db)) == 2

        await eventually(both_parked)
    listed = await list_parked(db, where=ParkedFilter(consumer=consumer.name))
    assert [(p.event_id, p.deliveries) for p in listed] == [("id-q", 1), ("id-p", 1)]
    assert "a bug" in listed[0].error
    broken["yes"] = False  # the bug is fixed
    p_id = listed[1].id
    first = await replay_parked(db, {consumer.name: consumer}, where=ParkedFilter(ids=(p_id,)))
    second = await replay_parked(db, {consumer.name: consumer}, where=ParkedFilter(ids=(p_id,)))
    assert (first.replayed, first.failed, second.replayed) == ([p_id], [], [])
    assert await _effects(db) == ["p"]
    assert [p.event_id for p in await list_parked(db)] == ["id-q"]


async def test_a_replayed_event_already_in_the_inbox_is_not_applied_again(
    db: Database, js: JetStreamContext
) -> None:
    handler = Applied(lambda text: ValueError("a bug"))
    await _publish(js, db.schema, "r")
    consumer = _consumer(db, js, handler, max_deliveries=1)
    async with running(consumer):

        async def parked() -> bool:
            return len(await _parked(db)) == 1

        await eventually(parked)
    # Applied meanwhile by other means (a copy of the event that got through).
    await db.pool.execute("INSERT INTO inbox (consumer, event_id) VALUES ($1, 'id-r')", consumer.name)
    calls = handler.calls
    result = await replay_parked(
        db, {consumer.name: consumer}, where=ParkedFilter(event_type="google.protobuf.Value")
    )
    assert len(result.replayed) == 1 and handler.calls == calls
    assert await _parked(db) == [] and await _effects(db) == []


async def test_a_replay_that_fails_again_leaves_the_event_parked_with_the_new_reason(
    db: Database, js: JetStreamContext
) -> None:
    handler = Applied(lambda text: ValueError("still broken"))
    await _publish(js, db.schema, "s")
    consumer = _consumer(db, js, handler, max_deliveries=1)
    async with running(consumer):

        async def parked() -> bool:
            return len(await _parked(db)) == 1

        await eventually(parked)
    result = await replay_parked(db, {consumer.name: consumer}, where=ParkedFilter(consumer=consumer.name))
    assert result.replayed == [] and "still broken" in result.failed[0][1]
    [row] = await _parked(db)
    assert row["deliveries"] == 2 and row["error"].startswith("replay failed")
