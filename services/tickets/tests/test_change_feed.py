"""The change feed of updated_since: paging while tickets change, a transaction that
commits late, the horizon, the cursor and its errors, visibility."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit.db import Database
from helpdesk_tickets import store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, ListQuery, NewTicket, Priority, Role, Ticket
from helpdesk_tickets.errors import InvalidTicket

BOSS = Actor(1, False, Role.DEPARTMENT_HEAD)
MEMBER = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


async def make(
    db: Database, units: UnitDirectory, unit_id: int = 10, assignees: tuple[int, ...] = ()
) -> Ticket:
    new = NewTicket(
        subject="Printer",
        body="",
        priority=Priority.NORMAL,
        unit_id=unit_id,
        assignee_ids=list(assignees),
        client_id=None,
        source="api",
    )
    return await usecases.create_ticket(db=db, units=units, actor=BOSS, new=new, idempotency_key=None)


async def change(db: Database, ticket_id: int) -> int:
    """Changes the subject in a transaction of its own; returns the new version."""
    async with db.unit_of_work() as uow:
        t = await store.ticket_for_update(uow.conn, ticket_id)
        assert t is not None
        saved = await store.save_ticket(uow.conn, replace(t, subject=f"{t.subject}+"))
        await uow.commit()
    return saved.version


async def page(
    db: Database, cursor: str | None, *, since: datetime | None = None, limit: int = 5, actor: Actor = BOSS
) -> tuple[list[Ticket], str]:
    return await usecases.list_changes(
        db=db, actor=actor, query=ListQuery(limit=limit), since=since, cursor=cursor
    )


async def latest_versions(db: Database) -> dict[int, int]:
    async with db.unit_of_work() as uow:
        rows = await uow.conn.fetch("SELECT id, version FROM tickets")
    return {r["id"]: r["version"] for r in rows}


async def test_paging_while_tickets_change_concurrently_loses_no_change(
    db: Database, units: UnitDirectory
) -> None:
    tickets = [await make(db, units) for _ in range(30)]
    seen: dict[int, int] = {}
    stop = asyncio.Event()

    async def writer() -> None:
        rng = random.Random(7)
        while not stop.is_set():
            await change(db, rng.choice(tickets).id)

    task = asyncio.create_task(writer())
    cursor: str | None = None
    since: datetime | None = LONG_AGO
    for _ in range(40):
        items, cursor = await page(db, cursor, since=since)
        since = None
        seen.update({t.id: t.version for t in items})
        await asyncio.sleep(0)
    stop.set()
    await task
    while True:  # the writer has stopped: read the feed to its end
        items, cursor = await page(db, cursor)
        seen.update({t.id: t.version for t in items})
        if len(items) < 5:
            break
    assert seen == await latest_versions(db)


async def test_a_change_committed_late_is_still_handed_out(db: Database, units: UnitDirectory) -> None:
    early, later = await make(db, units), await make(db, units)
    _, cursor = await page(db, None, since=LONG_AGO, limit=50)
    stamped = asyncio.Event()
    release = asyncio.Event()

    async def slow_change() -> None:
        # Stamped first (its transaction id is the smaller), committed last.
        async with db.unit_of_work() as uow:
            t = await store.ticket_for_update(uow.conn, early.id)
            assert t is not None
            await store.save_ticket(uow.conn, replace(t, subject="late"))
            stamped.set()
            await release.wait()
            await uow.commit()

    slow = asyncio.create_task(slow_change())
    try:
        await stamped.wait()
        await change(db, later.id)  # committed while the slow one is still open
        held_back, cursor_while_open = await page(db, cursor, limit=50)
    finally:
        release.set()
        await slow
    assert held_back == []  # the later change waits behind the open transaction
    items, _ = await page(db, cursor_while_open, limit=50)
    assert [(t.id, t.subject) for t in items] == [(early.id, "late"), (later.id, "Printer+")]


async def test_updated_since_starts_at_tickets_updated_from_then(db: Database, units: UnitDirectory) -> None:
    old = await make(db, units)
    async with db.unit_of_work() as uow:
        await uow.conn.execute(
            "UPDATE tickets SET updated_at = now() - interval '2 days' WHERE id = $1", old.id
        )
        await uow.commit()
    fresh = await make(db, units)
    items, _ = await page(db, None, since=datetime.now(UTC) - timedelta(days=1))
    assert [t.id for t in items] == [fresh.id]


async def test_a_caught_up_cursor_gives_only_later_changes(db: Database, units: UnitDirectory) -> None:
    first, second = await make(db, units), await make(db, units)
    items, cursor = await page(db, None, since=LONG_AGO)
    assert [t.id for t in items] == [first.id, second.id]
    assert (await page(db, cursor))[0] == []
    await change(db, first.id)
    items, _ = await page(db, cursor)
    assert [(t.id, t.version) for t in items] == [(first.id, 2)]


async def test_the_feed_shows_only_tickets_the_actor_may_see(db: Database, units: UnitDirectory) -> None:
    mine = await make(db, units, unit_id=10, assignees=(MEMBER.user_id,))
    await make(db, units, unit_id=20)
    items, _ = await page(db, None, since=LONG_AGO, actor=MEMBER)
    assert [t.id for t in items] == [mine.id]


async def test_a_feed_needs_a_start_and_refuses_a_list_cursor(db: Database, units: UnitDirectory) -> None:
    for _ in range(3):
        await make(db, units)
    with pytest.raises(InvalidTicket):
        await page(db, None)
    _, list_cursor = await usecases.list_tickets(db=db, actor=BOSS, query=ListQuery(limit=1), cursor=None)
    assert list_cursor is not None
    with pytest.raises(InvalidTicket):
        await page(db, list_cursor)


async def test_a_first_page_never_starts_past_a_transaction_still_running(
    db: Database, units: UnitDirectory
) -> None:
    early = await make(db, units)
    since = datetime.now(UTC)
    stamped, release = asyncio.Event(), asyncio.Event()

    async def slow_change() -> None:
        async with db.unit_of_work() as uow:
            t = await store.ticket_for_update(uow.conn, early.id)
            assert t is not None
            await store.save_ticket(uow.conn, replace(t, subject="late"))
            stamped.set()
            await release.wait()
            await uow.commit()

    slow = asyncio.create_task(slow_change())
    try:
        await stamped.wait()
        fresh = await make(db, units)  # updated since, committed while the slow one is open
        held_back, cursor = await page(db, None, since=since)
    finally:
        release.set()
        await slow
    assert held_back == []
    items, _ = await page(db, cursor)
    assert [(t.id, t.subject) for t in items] == [(early.id, "late"), (fresh.id, "Printer")]
