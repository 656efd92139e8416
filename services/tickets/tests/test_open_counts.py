"""The counts of open tickets the database keeps (migration 0011) against a count over the
tickets themselves, after every kind of write and across the migration's fill."""

from __future__ import annotations

import uuid

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_tickets import store, usecases
from helpdesk_tickets.app import MIGRATIONS
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Ticket

ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
BORIS = Actor(5, False, Role.UNIT_MEMBER, frozenset({20}))
# A department head who works tickets himself (his "mine" counts them).
DEPT = Actor(4, False, Role.DEPARTMENT_HEAD)
ADMIN = Actor(1, False, Role.DEPARTMENT_HEAD, is_admin=True)
CLIENT = Actor(8, True, None, client_group_id=100)

COUNTED = """
SELECT count(*) FILTER (WHERE state = 'new') AS new,
       count(*) FILTER (WHERE state = 'in_work') AS in_work,
       count(*) FILTER (WHERE state = 'in_work' AND locked_by = $1) AS mine,
       count(*) FILTER (WHERE sla_state = 'warning') AS sla_warning,
       count(*) FILTER (WHERE sla_state = 'breached') AS sla_breached
FROM tickets WHERE state IN ('new', 'in_work')
"""
# Per (unit, state, SLA state): the kept counts must agree row by row, not just in total.
KEPT = """
SELECT unit_id, state, sla_state, sum(n) AS n FROM (
    SELECT unit_id, state, sla_state, n FROM open_counts
    UNION ALL SELECT unit_id, state, sla_state, n FROM open_count_changes) c
GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
"""
GROUPED = """
SELECT unit_id, state, coalesce(sla_state, '') AS sla_state, count(*) AS n FROM tickets
WHERE state IN ('new', 'in_work') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def make(db: Database, units: UnitDirectory, unit_id: int, actor: Actor = CLIENT) -> Ticket:
    new = NewTicket("Printer", "", Priority.NORMAL, unit_id, [], None, "web")
    return await usecases.create_ticket(db=db, units=units, actor=actor, new=new, idempotency_key=None)


async def set_sla(db: Database, ticket_id: int, state: str) -> None:
    async with db.unit_of_work() as uow:
        await store.set_sla_state(uow.conn, ticket_id, state)
        await uow.commit()


async def assert_kept_counts_true(db: Database) -> None:
    counted = await db.pool.fetchrow(COUNTED, DEPT.user_id)
    assert await usecases.counters(db=db, actor=DEPT) == dict(counted)
    kept = [tuple(r) for r in await db.pool.fetch(KEPT)]
    assert kept == [tuple(r) for r in await db.pool.fetch(GROUPED)]


async def test_kept_counts_equal_a_count_over_tickets_after_every_kind_of_write(
    db: Database, units: UnitDirectory
) -> None:
    t = [await make(db, units, 10 if i % 3 else 20) for i in range(9)]
    await usecases.take(db=db, actor=ANNA, ticket_id=t[1].id)  # new -> in work, mine
    await usecases.take(db=db, actor=ANNA, ticket_id=t[2].id)
    await usecases.take(db=db, actor=BORIS, ticket_id=t[3].id)
    await set_sla(db, t[1].id, "warning")
    await set_sla(db, t[4].id, "breached")
    await assert_kept_counts_true(db)

    assert await usecases.fold_open_counts(db=db) > 0  # later changes land on folded counts
    assert await db.pool.fetchval("SELECT count(*) FROM open_count_changes") == 0
    await usecases.complete(db=db, actor=ANNA, ticket_id=t[2].id)  # leaves the open counts
    await usecases.reopen(db=db, actor=ANNA, ticket_id=t[2].id)  # and comes back, in work
    await usecases.release(db=db, actor=ANNA, ticket_id=t[1].id)  # in work -> new
    await usecases.forward(  # to another unit
        db=db, units=units, actor=ANNA, ticket_id=t[4].id, unit_id=30, assignee_ids=[]
    )
    await set_sla(db, t[4].id, "warning")  # breached -> warning
    await set_sla(db, t[5].id, "ok")
    await usecases.delete(db=db, actor=ADMIN, ticket_id=t[7].id)
    await usecases.take(db=db, actor=ANNA, ticket_id=t[8].id)
    await usecases.complete(db=db, actor=ANNA, ticket_id=t[8].id)
    async with db.unit_of_work() as uow:
        await store.backdate_done(uow.conn, t[8].id, 30)
        await uow.commit()
    assert await usecases.archive_due(db=db, settings=usecases.SettingsCache()) == 1
    # One statement moving many rows at once (as an import batch or a manual fix would).
    await db.pool.execute("UPDATE tickets SET sla_state = 'breached' WHERE unit_id = 10 AND state = 'new'")
    await assert_kept_counts_true(db)
    await usecases.fold_open_counts(db=db)
    await assert_kept_counts_true(db)


async def test_a_write_that_moves_no_count_appends_no_change(db: Database, units: UnitDirectory) -> None:
    t = await make(db, units, 10)
    await usecases.fold_open_counts(db=db)
    await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="Looking at it")
    await set_sla(db, t.id, "ok")
    await set_sla(db, t.id, "ok")  # the same verdict again
    await usecases.edit(db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(body="It's the toner"))
    assert await db.pool.fetch("SELECT unit_id, state, sla_state, n FROM open_count_changes ORDER BY n") == [
        (10, "new", "", -1),
        (10, "new", "ok", 1),
    ]


async def test_the_migration_counts_the_tickets_that_existed_before_it(
    postgres_server: PostgresServer, units: UnitDirectory
) -> None:
    name = f"fill_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    await upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS, revision="0010")
    async with Database(url, schema="tickets", pool_size=2) as db:
        # Written as the schema of 0010 stands (today's code writes tables 0010 lacks).
        await db.pool.execute(
            "INSERT INTO tickets (ref, subject, body, priority, unit_id, author_id, state, locked_by,"
            " sla_state) VALUES ('a', 'Printer', '', 'normal', 10, 8, 'in_work', $1, 'breached'),"
            " ('b', 'Printer', '', 'normal', 20, 8, 'new', NULL, NULL),"
            " ('c', 'Printer', '', 'normal', 20, 8, 'new', NULL, NULL),"
            " ('d', 'Printer', '', 'normal', 20, 8, 'done', NULL, NULL)",
            ANNA.user_id,
        )
        await upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS)
        assert await db.pool.fetchval("SELECT count(*) FROM open_counts") == 2
        await make(db, units, 10)
        await assert_kept_counts_true(db)
        assert await usecases.counters(db=db, actor=DEPT) == {
            "new": 3,
            "in_work": 1,
            "mine": 1,
            "sla_warning": 0,
            "sla_breached": 1,
        }
    postgres_server.drop_database(name)
