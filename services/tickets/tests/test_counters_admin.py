"""The dashboard's counters per role, and the admin-only set-up: subjects, recurring tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from helpdesk_kit.db import Database
from helpdesk_tickets import store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Schedule, Ticket
from helpdesk_tickets.errors import InvalidTicket, NotAllowed, RecurringNotFound, SubjectNotFound

DEPT = Actor(1, False, Role.DEPARTMENT_HEAD)
ADMIN = Actor(99, False, Role.UNIT_MEMBER, frozenset({30}), is_admin=True)
HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))
ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
BORIS = Actor(5, False, Role.UNIT_MEMBER, frozenset({10}))
OTHER = Actor(6, False, Role.UNIT_MEMBER, frozenset({20}))
CLIENT = Actor(8, True, None, client_group_id=100)
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def make(
    db: Database, units: UnitDirectory, author: Actor, unit_id: int, assignees: list[int]
) -> Ticket:
    new = NewTicket("Printer", "", Priority.NORMAL, unit_id, assignees, None, "web")
    return await usecases.create_ticket(db=db, units=units, actor=author, new=new, idempotency_key=None)


async def test_counters_follow_each_callers_inbox(db: Database, units: UnitDirectory) -> None:
    a = await make(db, units, CLIENT, 10, [])  # unit 10 as a whole
    b = await make(db, units, CLIENT, 10, [])
    await make(db, units, OTHER, 10, [BORIS.user_id])  # assigned to Boris only
    await make(db, units, CLIENT, 20, [])  # another unit
    done = await make(db, units, CLIENT, 10, [])
    await usecases.take(db=db, actor=ANNA, ticket_id=a.id)
    await usecases.take(db=db, actor=BORIS, ticket_id=b.id)
    await usecases.take(db=db, actor=ANNA, ticket_id=done.id)
    await usecases.complete(db=db, actor=ANNA, ticket_id=done.id)
    async with db.unit_of_work() as uow:
        await store.set_sla_state(uow.conn, a.id, "warning")
        await store.set_sla_state(uow.conn, b.id, "breached")
        await uow.commit()

    def shape(c: dict[str, int]) -> tuple[int, ...]:
        return (c["new"], c["in_work"], c["mine"], c["sla_warning"], c["sla_breached"])

    assert shape(await usecases.counters(db=db, actor=ANNA)) == (0, 2, 1, 1, 1)
    assert shape(await usecases.counters(db=db, actor=BORIS)) == (1, 2, 1, 1, 1)
    assert shape(await usecases.counters(db=db, actor=HEAD)) == (1, 2, 0, 1, 1)
    assert shape(await usecases.counters(db=db, actor=DEPT)) == (2, 2, 0, 1, 1)
    assert shape(await usecases.counters(db=db, actor=OTHER)) == (1, 0, 0, 0, 0)
    assert shape(await usecases.counters(db=db, actor=CLIENT)) == (1, 2, 0, 1, 1)
    assert shape(await usecases.counters(db=db, actor=Actor(9, True, None))) == (0, 0, 0, 0, 0)


async def test_only_admins_change_or_delete_subjects_and_tickets_keep_their_text(
    db: Database, units: UnitDirectory
) -> None:
    vpn = await usecases.create_subject(db=db, actor=ADMIN, name="VPN", sla_plan_id=5)
    await usecases.create_subject(db=db, actor=ADMIN, name="Mail", sla_plan_id=None)
    t = await usecases.create_ticket(
        db=db,
        units=units,
        actor=ANNA,
        new=NewTicket("", "", Priority.NORMAL, 10, [], None, "web", subject_id=vpn.id),
        idempotency_key=None,
    )
    with pytest.raises(NotAllowed):
        await usecases.update_subject(db=db, actor=HEAD, subject_id=vpn.id, name="X")
    with pytest.raises(NotAllowed):
        await usecases.delete_subject(db=db, actor=DEPT, subject_id=vpn.id)
    renamed = await usecases.update_subject(db=db, actor=ADMIN, subject_id=vpn.id, name="VPN access")
    assert (renamed.name, renamed.sla_plan_id) == ("VPN access", 5)
    cleared = await usecases.update_subject(
        db=db, actor=ADMIN, subject_id=vpn.id, name=None, sla_plan_id=None
    )
    assert cleared.sla_plan_id is None
    with pytest.raises(InvalidTicket) as err:
        await usecases.update_subject(db=db, actor=ADMIN, subject_id=vpn.id, name="Mail")
    assert err.value.errors[0].field == "name"
    await usecases.delete_subject(db=db, actor=ADMIN, subject_id=vpn.id)
    assert [s.name for s in await usecases.list_subjects(db=db)] == ["Mail"]
    with pytest.raises(SubjectNotFound):
        await usecases.delete_subject(db=db, actor=ADMIN, subject_id=vpn.id)
    assert (await usecases.get_ticket(db=db, actor=ANNA, ticket_id=t.id)).subject == "VPN"


async def _recurring(db: Database, units: UnitDirectory, actor: Actor) -> int:
    recurring_id, _ = await usecases.create_recurring(
        db=db,
        units=units,
        actor=actor,
        template=NewTicket("Backups", "", Priority.LOW, 10, [], None, "web"),
        schedule=Schedule("daily", time(9, 0), date(2026, 11, 1)),
        now=MONDAY,
    )
    return recurring_id


async def test_recurring_tickets_are_listed_paused_and_deleted_by_their_owner_or_an_admin(
    db: Database, units: UnitDirectory
) -> None:
    annas = await _recurring(db, units, ANNA)
    heads = await _recurring(db, units, HEAD)
    assert [r["id"] for r in await usecases.list_recurring(db=db, actor=ANNA)] == [annas]
    assert [r["id"] for r in await usecases.list_recurring(db=db, actor=ADMIN)] == [annas, heads]
    with pytest.raises(NotAllowed):
        await usecases.list_recurring(db=db, actor=CLIENT)
    with pytest.raises(RecurringNotFound):
        await usecases.set_recurring_active(db=db, actor=ANNA, recurring_id=heads, active=False, now=MONDAY)

    paused = await usecases.set_recurring_active(
        db=db, actor=ANNA, recurring_id=annas, active=False, now=MONDAY
    )
    assert paused["active"] is False
    later = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    filed = await usecases.run_recurring(db=db, now=later)
    assert [t.author_id for t in filed] == [HEAD.user_id]  # the paused one files nothing
    resumed = await usecases.set_recurring_active(
        db=db, actor=ANNA, recurring_id=annas, active=True, now=later
    )
    assert resumed["active"] is True and resumed["next_run_at"] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    with pytest.raises(RecurringNotFound):
        await usecases.delete_recurring(db=db, actor=ANNA, recurring_id=heads)
    await usecases.delete_recurring(db=db, actor=ADMIN, recurring_id=heads)
    await usecases.delete_recurring(db=db, actor=ANNA, recurring_id=annas)
    assert await usecases.list_recurring(db=db, actor=ADMIN) == []
