"""Retention of the kit's tables: old inbox rows and replayed dead letters go, in batches,
replica-safe, never waiting for rows the hot path holds. Real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from google.protobuf.struct_pb2 import Value
from nats.js import JetStreamContext
from prometheus_client import REGISTRY
from pydantic import ValidationError

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.migrations import upgrade
from helpdesk_kit.retention import Pruner, RetentionSettings, messaging_rules
from helpdesk_kit.streams import EVENT_TYPE_HEADER, connect, ensure_stream

MIGRATIONS = Path(__file__).parent / "migrations"
NOW = datetime.now(UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    schema = "ret" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=MIGRATIONS)
    database = Database(database_url, schema=schema, pool_size=4)
    await database.connect()
    yield database
    await database.close()


def pruner(db: Database, **settings: Any) -> Pruner:
    return Pruner(
        db=db,
        service=db.schema,
        rules=messaging_rules(RetentionSettings(**settings)),
        settings=RetentionSettings(**settings),
    )


def pruned_total(db: Database, kind: str) -> float:
    return (
        REGISTRY.get_sample_value("retention_pruned_rows_total", {"service": db.schema, "kind": kind}) or 0.0
    )


async def add_inbox(db: Database, *, age: timedelta, count: int, prefix: str) -> None:
    await db.pool.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at)"
        " SELECT 'c', $1 || n, $2 FROM generate_series(1, $3) AS n",
        prefix,
        NOW - age,
        count,
    )


async def inbox_ids(db: Database) -> list[str]:
    return [r["event_id"] for r in await db.pool.fetch("SELECT event_id FROM inbox ORDER BY event_id")]


async def test_inbox_rows_older_than_their_retention_are_pruned_in_batches_and_newer_ones_kept(
    db: Database,
) -> None:
    await add_inbox(db, age=timedelta(days=15), count=5, prefix="old")
    await add_inbox(db, age=timedelta(days=13, hours=23), count=2, prefix="recent")

    counted = await pruner(db, retention_batch=2).prune_once(now=NOW)

    assert counted == {"inbox": 5, "replayed_dead_letters": 0}
    assert await inbox_ids(db) == ["recent1", "recent2"]
    assert pruned_total(db, "inbox") == 5
    assert await pruner(db).prune_once(now=NOW) == {"inbox": 0, "replayed_dead_letters": 0}


async def test_an_event_applied_a_week_ago_and_redelivered_is_still_recognised_after_a_pass(
    db: Database, nats_url: str
) -> None:
    """Why inbox rows outlive the stream: JetStream may hand out an event as long as it keeps
    it (7 days), and only the inbox row stops the consumer applying it again."""
    nc = await connect(nats_url, name="test")
    js: JetStreamContext = nc.jetstream()
    applied: list[str] = []

    async def handler(uow: UnitOfWork, event: Event[Any]) -> None:
        applied.append(event.id)

    await ensure_stream(js, db.schema)
    consumer = Consumer(
        name=f"c{secrets.token_hex(3)}",
        db=db,
        js=js,
        source_service=db.schema,
        routes=[Route(Value, handler)],
    )
    await db.pool.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, 'seen', $2)",
        consumer.name,
        NOW - timedelta(days=7, hours=1),
    )
    await pruner(db).prune_once(now=NOW)
    for msg_id in ("seen", "new"):
        await js.publish(
            f"{db.schema}.Value",
            Value(string_value=msg_id).SerializeToString(),
            headers={"Nats-Msg-Id": msg_id, EVENT_TYPE_HEADER: "google.protobuf.Value"},
        )
    task = asyncio.create_task(consumer.run())
    try:
        deadline = time.monotonic() + 15
        while await db.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", consumer.name) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=15)
        await nc.close()
    assert applied == ["new"]


async def test_replayed_dead_letters_go_after_their_retention_and_unreplayed_ones_stay(db: Database) -> None:
    for event_id, replayed_ago, created_ago in (
        ("replayed-long-ago", timedelta(days=31), timedelta(days=40)),
        ("replayed-lately", timedelta(days=29), timedelta(days=40)),
        ("never-replayed", None, timedelta(days=400)),
    ):
        await db.pool.execute(
            "INSERT INTO dead_letters (consumer, event_id, subject, event_type, payload, error, deliveries,"
            " created_at, replayed_at) VALUES ('c', $1, 's', 't', '', 'e', 5, $2, $3)",
            event_id,
            NOW - created_ago,
            NOW - replayed_ago if replayed_ago else None,
        )

    assert await pruner(db).prune_once(now=NOW) == {"inbox": 0, "replayed_dead_letters": 1}

    left = [r["event_id"] for r in await db.pool.fetch("SELECT event_id FROM dead_letters ORDER BY id")]
    assert left == ["replayed-lately", "never-replayed"]
    assert pruned_total(db, "replayed_dead_letters") == 1


async def test_a_row_the_hot_path_holds_is_skipped_not_waited_for(db: Database) -> None:
    await add_inbox(db, age=timedelta(days=20), count=3, prefix="old")
    holder: asyncpg.Connection = await db.connection()
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM inbox WHERE event_id = 'old2' FOR UPDATE")
        started = time.monotonic()
        assert await pruner(db).prune_once(now=NOW) == {"inbox": 2, "replayed_dead_letters": 0}
        assert time.monotonic() - started < 1.5
        assert await inbox_ids(db) == ["old2"]
        await tx.rollback()
    finally:
        await holder.close()
    assert (await pruner(db).prune_once(now=NOW))["inbox"] == 1


async def test_a_table_locked_by_a_migration_is_left_for_the_next_pass_without_failing(db: Database) -> None:
    await add_inbox(db, age=timedelta(days=20), count=2, prefix="old")
    holder: asyncpg.Connection = await db.connection()
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        assert (await pruner(db).prune_once(now=NOW))["inbox"] == 0
        assert time.monotonic() - started < 10
        await tx.rollback()
    finally:
        await holder.close()
    assert (await pruner(db).prune_once(now=NOW))["inbox"] == 2


async def test_replicas_pruning_at_once_delete_every_row_once(db: Database) -> None:
    await add_inbox(db, age=timedelta(days=30), count=3000, prefix="x")
    replicas = [pruner(db, retention_batch=100) for _ in range(3)]

    results = await asyncio.gather(*(r.prune_once(now=NOW) for r in replicas))
    leftover = await replicas[0].prune_once(now=NOW)  # one that found the lock taken left some

    assert sum(r["inbox"] for r in results) + leftover["inbox"] == 3000
    assert await inbox_ids(db) == []


def test_inbox_retention_not_longer_than_the_stream_is_refused_and_zero_keeps_for_ever() -> None:
    with pytest.raises(ValidationError, match="longer than events stay in their stream"):
        RetentionSettings(retention_inbox_days=7)
    assert RetentionSettings().retention_inbox_days == 14
    kept = messaging_rules(RetentionSettings(retention_inbox_days=0, retention_replayed_dead_letters_days=0))
    assert [r.keep for r in kept] == [None, None]
