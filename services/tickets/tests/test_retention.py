"""Retention of tickets' rows against real PostgreSQL: idempotency keys after a day, the
history of long-archived tickets when asked to, the kit's inbox rows; recent rows stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_kit.db import Database
from helpdesk_kit.retention import Pruner, RetentionSettings
from helpdesk_tickets import store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, State, Ticket

ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
CLIENT = Actor(8, True, None, client_group_id=100)
NOW = datetime.now(UTC)


def pruner(db: Database, *, keys_hours: float = 24.0, history_days: float = 0.0) -> Pruner:
    settings = RetentionSettings()
    rules = usecases.retention_rules(
        settings, idempotency_keys_hours=keys_hours, archived_history_days=history_days
    )
    return Pruner(db=db, service="tickets", rules=rules, settings=settings)


async def create(db: Database, units: UnitDirectory, key: str | None = None) -> Ticket:
    new = NewTicket("VPN is down", "Since morning", Priority.HIGH, 10, [], None, "web")
    return await usecases.create_ticket(db=db, units=units, actor=CLIENT, new=new, idempotency_key=key)


async def test_idempotency_keys_answer_retries_for_a_day_then_are_pruned(
    db: Database, units: UnitDirectory
) -> None:
    old = await create(db, units, key="old-key")
    fresh = await create(db, units, key="fresh-key")
    await db.pool.execute(
        "UPDATE idempotency_keys SET created_at = $1 WHERE key = 'old-key'", NOW - timedelta(hours=25)
    )

    counted = await pruner(db).prune_once(now=NOW)

    assert counted["idempotency_keys"] == 1
    assert (await create(db, units, key="fresh-key")).id == fresh.id  # still answers the retry
    again = await create(db, units, key="old-key")  # forgotten: a new ticket
    assert again.id != old.id


async def test_comment_idempotency_keys_answer_retries_for_a_day_then_are_pruned(
    db: Database, units: UnitDirectory
) -> None:
    t = await create(db, units)
    old = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="old", idempotency_key="o")
    fresh = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="new", idempotency_key="f")
    await db.pool.execute(
        "UPDATE comment_idempotency_keys SET created_at = $1 WHERE key = 'o'", NOW - timedelta(hours=25)
    )

    counted = await pruner(db).prune_once(now=NOW)

    assert counted["comment_idempotency_keys"] == 1
    retried = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="new", idempotency_key="f")
    assert retried.id == fresh.id  # still answers the retry
    again = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="old", idempotency_key="o")
    assert again.id != old.id


async def done_and_archived(db: Database, units: UnitDirectory, *, days_ago: int) -> Ticket:
    t = await create(db, units)
    await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
    await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="on it")
    await usecases.complete(db=db, actor=ANNA, ticket_id=t.id)
    async with db.unit_of_work() as uow:
        await store.backdate_done(uow.conn, t.id, days_ago)
        await uow.commit()
    return t


async def actions(db: Database, ticket_id: int) -> list[str]:
    rows = await db.pool.fetch("SELECT action FROM history WHERE ticket_id = $1 ORDER BY id", ticket_id)
    return [r["action"] for r in rows]


async def test_the_history_of_long_archived_tickets_keeps_its_first_and_last_entries_when_asked(
    db: Database, units: UnitDirectory
) -> None:
    long_ago = await done_and_archived(db, units, days_ago=400)
    lately = await done_and_archived(db, units, days_ago=10)
    still_done = await create(db, units)
    assert await usecases.archive_due(db=db, settings=usecases.SettingsCache()) == 2
    full = await actions(db, long_ago.id)
    assert full[0] == "created" and full[-1] == "archived" and len(full) > 2

    assert "archived_history" not in await pruner(db).prune_once(now=NOW)  # default: kept for ever
    assert await actions(db, long_ago.id) == full

    counted = await pruner(db, history_days=365).prune_once(now=NOW)

    assert counted["archived_history"] == len(full) - 2
    assert await actions(db, long_ago.id) == ["created", "archived"]
    assert len(await actions(db, lately.id)) == len(full)
    assert await actions(db, still_done.id) == ["created"]
    ticket = await db.pool.fetchrow("SELECT state, history_pruned_at FROM tickets WHERE id = $1", long_ago.id)
    assert ticket["state"] == State.ARCHIVED.value and ticket["history_pruned_at"] is not None
    # Marked: the next pass does not look at it again.
    assert (await pruner(db, history_days=365).prune_once(now=NOW))["archived_history"] == 0


async def test_the_kits_inbox_rows_of_the_sla_consumer_are_pruned_too(db: Database) -> None:
    await db.pool.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at) VALUES"
        " ('tickets-sla', 'old', $1), ('tickets-sla', 'new', $2)",
        NOW - timedelta(days=15),
        NOW - timedelta(days=1),
    )

    assert (await pruner(db).prune_once(now=NOW))["inbox"] == 1
    assert await db.pool.fetchval("SELECT array_agg(event_id) FROM inbox") == ["new"]
