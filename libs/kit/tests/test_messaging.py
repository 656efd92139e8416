"""The outbox relay and the idempotent consumer, against real PostgreSQL and NATS JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from google.protobuf.struct_pb2 import Value
from nats.js import JetStreamContext

from helpdesk_devstack.servers import NatsServer
from helpdesk_kit.db import Database, UnitOfWork, fetchrow_with_events, outbox_channel
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.streams import connect, stream_name

MIGRATIONS = Path(__file__).parent / "migrations"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    # A fresh service name per test: its own schema and its own stream.
    from helpdesk_kit.migrations import upgrade

    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=MIGRATIONS)
    async with Database(database_url, schema=schema, pool_size=4) as database:
        yield database


async def record(db: Database, *texts: str) -> None:
    async with db.unit_of_work() as uow:
        for text in texts:
            await uow.record_event(f"{db.schema}.Said", Value(string_value=text))
        await uow.commit()


async def stream_texts(js: JetStreamContext, service: str) -> list[str]:
    info = await js.stream_info(stream_name(service))
    texts = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream_name(service), seq)
        texts.append(Value.FromString(msg.data).string_value)
    return texts


@contextlib.asynccontextmanager
async def running(coro_owner: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(coro_owner.run())
    try:
        yield
    finally:
        coro_owner.stop()
        await asyncio.wait_for(task, timeout=10)


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_events_committed_while_no_relay_runs_are_published_in_order_when_it_starts(
    db: Database, nats_url: str
) -> None:
    await record(db, "one", "two")
    await record(db, "three")
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    try:
        async with running(OutboxRelay(db=db, js=js, service=db.schema)):

            async def published() -> bool:
                return await db.pool.fetchval("SELECT count(*) FROM outbox") == 0

            await eventually(published)
        assert await stream_texts(js, db.schema) == ["one", "two", "three"]
    finally:
        await nc.close()


async def test_a_one_statement_change_and_its_events_commit_together_or_not_at_all(
    db: Database, nats_url: str
) -> None:
    await db.pool.execute("CREATE TABLE things (id int PRIMARY KEY)")
    insert = "t AS (INSERT INTO things VALUES ($1) RETURNING id)"
    said = f"{db.schema}.Said"
    row = await fetchrow_with_events(db, insert, "SELECT id FROM t", [1], [(said, Value(string_value="one"))])
    assert row is not None and row["id"] == 1
    with pytest.raises(asyncpg.UniqueViolationError):  # the change fails: its event is not kept
        await fetchrow_with_events(db, insert, "SELECT id FROM t", [1], [(said, Value(string_value="two"))])
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    try:
        async with running(OutboxRelay(db=db, js=js, service=db.schema, idle_poll_seconds=60)):
            await eventually(lambda: _outbox_empty(db))  # read as the relay starts leading
            await fetchrow_with_events(
                db, insert, "SELECT id FROM t", [2], [(said, Value(string_value="three"))]
            )
            await eventually(lambda: _outbox_empty(db), timeout=5)  # woken, not polled
        assert await stream_texts(js, db.schema) == ["one", "three"]
        assert await db.pool.fetchval("SELECT count(*) FROM things") == 2
    finally:
        await nc.close()


async def test_a_rolled_back_unit_of_work_publishes_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            await uow.record_event(f"{db.schema}.Said", Value(string_value="never"))
            raise RuntimeError("use case failed")
    assert await db.pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_unit_of_works_events_are_stored_in_the_order_recorded_and_wake_the_relay_once(
    db: Database,
) -> None:
    woken: list[str] = []
    listener = await db.connection()
    try:
        await listener.add_listener(outbox_channel(db.schema), lambda *args: woken.append(args[2]))
        texts = [f"t{i}" for i in range(12)]
        await record(db, *texts)
        rows = await db.pool.fetch("SELECT payload FROM outbox ORDER BY id")
        assert [Value.FromString(r["payload"]).string_value for r in rows] == texts
        await eventually(lambda: _true(bool(woken)))
        await asyncio.sleep(0.1)  # a second notification would have arrived by now
        assert len(woken) == 1
    finally:
        await listener.close()


async def _true(value: bool) -> bool:
    return value


@contextlib.asynccontextmanager
async def _listening(db: Database, nats_url: str) -> AsyncIterator[tuple[list[str], JetStreamContext]]:
    """The NOTIFYs on the schema's outbox channel as they are heard, and a JetStream context."""
    heard: list[str] = []
    listener = await db.connection()
    await listener.add_listener(outbox_channel(db.schema), lambda *args: heard.append(args[2]))
    nc = await connect(nats_url, name="test")
    try:
        yield heard, nc.jetstream()
    finally:
        await listener.close()
        await nc.close()


async def test_a_commit_wakes_the_relay_leading_in_its_own_process_without_a_notify(
    db: Database, nats_url: str
) -> None:
    async with _listening(db, nats_url) as (heard, js):
        # It polls once a minute: only the wake-up can publish within the test's time.
        async with running(OutboxRelay(db=db, js=js, service=db.schema, idle_poll_seconds=60)):
            await record(db, "first")  # published by the relay's first read as it starts leading
            await eventually(lambda: _outbox_empty(db))
            await asyncio.sleep(0.2)  # the relay is asleep now
            await record(db, "second")
            await eventually(lambda: _outbox_empty(db), timeout=5)
        assert await stream_texts(js, db.schema) == ["first", "second"]
        assert heard == []  # no commit took the database's notification lock


async def test_a_replica_that_does_not_lead_wakes_the_leader_with_one_notify_after_its_commits(
    db: Database, nats_url: str
) -> None:
    async with _listening(db, nats_url) as (heard, js):
        async with Database(db.url, schema=db.schema, pool_size=4) as other:
            leader = OutboxRelay(db=db, js=js, service=db.schema, idle_poll_seconds=60)
            async with running(leader):
                await record(db, "seed")  # the leader publishes it: it holds the lock
                await eventually(lambda: _outbox_empty(db))
                follower = OutboxRelay(db=other, js=js, service=db.schema, idle_poll_seconds=60)
                async with running(follower):
                    await asyncio.sleep(0.2)  # both relays are asleep now
                    await asyncio.gather(*(record(other, f"r{i}") for i in range(10)))
                    await eventually(lambda: _outbox_empty(db), timeout=5)
                    assert heard  # the leader was woken by the follower's NOTIFY, not by its poll
                    await asyncio.sleep(0.1)
                    before = len(heard)
                    # Commits told before the NOTIFY left are covered by it: one for fifty.
                    for _ in range(50):
                        follower.events_committed()
                    await asyncio.sleep(0.3)
                    assert len(heard) - before == 1
                    # Commits told while one is on its way make one more after it.
                    follower.events_committed()
                    await asyncio.sleep(0)  # the NOTIFY is on its way
                    for _ in range(10):
                        follower.events_committed()
                    await asyncio.sleep(0.3)
                    assert len(heard) - before == 3
        assert sorted(await stream_texts(js, db.schema)) == sorted(["seed", *(f"r{i}" for i in range(10))])


async def test_a_stopped_relay_leaves_the_commits_to_notify_in_their_transaction(
    db: Database, nats_url: str
) -> None:
    async with _listening(db, nats_url) as (heard, js):
        async with running(OutboxRelay(db=db, js=js, service=db.schema)):
            pass
        await record(db, "after")
        await eventually(lambda: _true(bool(heard)))


async def test_republishing_after_a_crash_before_the_delete_adds_no_duplicate(
    db: Database, nats_url: str
) -> None:
    await record(db, "a", "b")
    rows = await db.pool.fetch("SELECT msg_id, subject, event_type, payload, headers FROM outbox ORDER BY id")
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    try:
        async with running(OutboxRelay(db=db, js=js, service=db.schema)):
            await eventually(lambda: _outbox_empty(db))
        # The relay died after publishing but before deleting: the rows are back.
        await db.pool.executemany(
            "INSERT INTO outbox (msg_id, subject, event_type, payload, headers) VALUES ($1, $2, $3, $4, $5)",
            [tuple(r) for r in rows],
        )
        async with running(OutboxRelay(db=db, js=js, service=db.schema)):
            await eventually(lambda: _outbox_empty(db))
        assert await stream_texts(js, db.schema) == ["a", "b"]
    finally:
        await nc.close()


async def _outbox_empty(db: Database) -> bool:
    return bool(await db.pool.fetchval("SELECT count(*) FROM outbox") == 0)


async def test_the_relay_outlives_a_nats_restart_and_loses_nothing(db: Database, tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        nc = await connect(server.url, name="test")
        js = nc.jetstream()
        async with running(OutboxRelay(db=db, js=js, service=db.schema)):
            await record(db, "before")
            await eventually(lambda: _outbox_empty(db))
            server.stop()
            await record(db, "while down 1", "while down 2")
            await asyncio.sleep(1.0)
            assert await db.pool.fetchval("SELECT count(*) FROM outbox") == 2
            server.start()
            await eventually(lambda: _outbox_empty(db), timeout=20)
        assert await stream_texts(js, db.schema) == ["before", "while down 1", "while down 2"]
        await nc.close()
    finally:
        server.stop()


async def test_events_committed_one_at_a_time_are_each_published_at_once_not_after_a_pause(
    db: Database, nats_url: str
) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    # Pauses far longer than the test may wait: only the commit's NOTIFY can wake the relay,
    # and a lone event must not make it wait for company.
    relay = OutboxRelay(db=db, js=js, service=db.schema, idle_poll_seconds=60.0, linger_seconds=60.0)
    try:
        async with running(relay):
            for text in ("one", "two", "three"):
                await record(db, text)
                await eventually(lambda: _outbox_empty(db), timeout=5)
        assert await stream_texts(js, db.schema) == ["one", "two", "three"]
    finally:
        await nc.close()


async def test_only_one_relay_publishes_at_a_time(db: Database, nats_url: str) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    try:
        first, second = (
            OutboxRelay(db=db, js=js, service=db.schema),
            OutboxRelay(db=db, js=js, service=db.schema),
        )
        async with running(first), running(second):
            for i in range(20):
                await record(db, f"m{i}")
            await eventually(lambda: _outbox_empty(db))
        assert await stream_texts(js, db.schema) == [f"m{i}" for i in range(20)]
    finally:
        await nc.close()


class Effects:
    """A handler that writes a row per call, and can be told to fail."""

    def __init__(self, fail_times: int = 0, poison: str | None = None) -> None:
        self.calls = 0
        self.fail_times = fail_times
        self.poison = poison

    async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
        self.calls += 1
        await uow.conn.execute("CREATE TABLE IF NOT EXISTS effects (text text)")
        await uow.conn.execute("INSERT INTO effects VALUES ($1)", event.message.string_value)
        if self.calls <= self.fail_times or event.message.string_value == self.poison:
            raise ValueError("handler failed after writing")


async def _effects(db: Database) -> list[str]:
    try:
        rows = await db.pool.fetch("SELECT text FROM effects ORDER BY text")
    except asyncpg.UndefinedTableError:
        return []
    return [r["text"] for r in rows]


async def _publish(js: JetStreamContext, service: str, text: str, msg_id: str) -> None:
    from helpdesk_kit.streams import EVENT_TYPE_HEADER, ensure_stream

    await ensure_stream(js, service)
    await js.publish(
        f"{service}.Value",
        Value(string_value=text).SerializeToString(),
        headers={"Nats-Msg-Id": msg_id, EVENT_TYPE_HEADER: "google.protobuf.Value"},
    )


def make_consumer(db: Database, js: JetStreamContext, handler: Effects, **kw: Any) -> Consumer:
    return Consumer(
        name=f"c{secrets.token_hex(3)}",
        db=db,
        js=js,
        source_service=db.schema,
        routes=[Route(Value, handler)],
        **kw,
    )


async def test_a_failing_handler_is_retried_and_its_effect_applied_once(db: Database, nats_url: str) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    handler = Effects(fail_times=1)
    try:
        await _publish(js, db.schema, "x", "id-1")
        async with running(make_consumer(db, js, handler, max_deliveries=5)):

            async def applied() -> bool:
                return await _effects(db) == ["x"]

            await eventually(applied, timeout=15)
        assert handler.calls == 2
        assert await _effects(db) == ["x"]
    finally:
        await nc.close()


async def test_an_event_already_in_the_inbox_is_acked_without_running_the_handler(
    db: Database, nats_url: str
) -> None:
    """The state after a consumer committed its effect and crashed before the ack."""
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    handler = Effects()
    consumer = make_consumer(db, js, handler)
    try:
        await db.pool.execute("INSERT INTO inbox (consumer, event_id) VALUES ($1, 'done-1')", consumer.name)
        await _publish(js, db.schema, "again", "done-1")
        await _publish(js, db.schema, "new", "new-1")
        async with running(consumer):

            async def new_applied() -> bool:
                return await _effects(db) == ["new"]

            await eventually(new_applied)
        assert handler.calls == 1
        info = await js.consumer_info(stream_name(db.schema), consumer.name)
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        await nc.close()


async def test_a_consumer_killed_mid_handler_gets_the_event_again_and_applies_it_once(
    db: Database, nats_url: str
) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    started = asyncio.Event()

    class Hangs(Effects):
        async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
            await uow.conn.execute("CREATE TABLE IF NOT EXISTS effects (text text)")
            await uow.conn.execute("INSERT INTO effects VALUES ($1)", event.message.string_value)
            started.set()
            await asyncio.sleep(3600)

    try:
        await _publish(js, db.schema, "x", "k-1")
        first = make_consumer(db, js, Hangs(), ack_wait=1.0)
        task = asyncio.create_task(first.run())
        await asyncio.wait_for(started.wait(), timeout=10)
        task.cancel()  # dies mid-handler: no commit, no ack
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await _effects(db) == []
        handler = Effects()
        second = Consumer(
            name=first.name,
            db=db,
            js=js,
            source_service=db.schema,
            routes=[Route(Value, handler)],
            ack_wait=1.0,
        )
        async with running(second):

            async def applied() -> bool:
                return await _effects(db) == ["x"]

            await eventually(applied, timeout=15)
            await asyncio.sleep(1.5)  # past another ack_wait: nothing more arrives
        assert handler.calls == 1 and await _effects(db) == ["x"]
    finally:
        await nc.close()


async def test_a_poisoned_event_is_dead_lettered_and_does_not_block_the_next(
    db: Database, nats_url: str
) -> None:
    nc = await connect(nats_url, name="test")
    js = nc.jetstream()
    handler = Effects(poison="poison")
    try:
        await _publish(js, db.schema, "poison", "p-1")
        await _publish(js, db.schema, "fine", "p-2")
        async with running(make_consumer(db, js, handler, max_deliveries=2)):

            async def settled() -> bool:
                return await _effects(db) == ["fine"] and bool(
                    await db.pool.fetchval("SELECT count(*) FROM dead_letters") == 1
                )

            await eventually(settled, timeout=20)
        dead = await db.pool.fetchrow("SELECT event_id, deliveries, error FROM dead_letters")
        assert dead["event_id"] == "p-1" and dead["deliveries"] == 2 and "handler failed" in dead["error"]
    finally:
        await nc.close()
