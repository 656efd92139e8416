"""The ticket's life cycle against real PostgreSQL: states, races, history, events."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from helpdesk.tickets.v1 import events_pb2

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError
from helpdesk_tickets import events, store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, State, Ticket
from helpdesk_tickets.errors import InvalidTicket, StaleTicket, TicketNotFound, WrongState
from helpdesk_tickets.fields import CustomField

HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))
ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
BORIS = Actor(5, False, Role.UNIT_MEMBER, frozenset({10}))
CLIENT = Actor(8, True, None, client_group_id=100)
ADMIN = Actor(1, False, Role.DEPARTMENT_HEAD, is_admin=True)


async def new_ticket(db: Database, units: UnitDirectory, actor: Actor = CLIENT, **kw: object) -> Ticket:
    fields: dict[str, object] = {
        "subject": "VPN is down",
        "body": "Cannot connect since morning.",
        "priority": Priority.HIGH,
        "unit_id": 10,
        "assignee_ids": [],
        "client_id": None,
        "source": "web",
    }
    fields.update(kw)
    return await usecases.create_ticket(
        db=db,
        units=units,
        actor=actor,
        new=NewTicket(**fields),  # type: ignore[arg-type]
        idempotency_key=None,
    )


async def events_of(db: Database) -> list[tuple[str, bytes]]:
    rows = await db.pool.fetch("SELECT subject, payload FROM outbox ORDER BY id")
    return [(r["subject"], bytes(r["payload"])) for r in rows]


@pytest.mark.parametrize("subject", ["", "   "])
async def test_a_blank_subject_is_refused_as_blank_whatever_subjects_are_listed(
    db: Database, units: UnitDirectory, subject: str
) -> None:
    await usecases.create_subject(db=db, actor=ADMIN, name="VPN", sla_plan_id=5)
    with pytest.raises(InvalidTicket) as refused:
        await new_ticket(db, units, subject=subject)
    assert [(e.field, e.code) for e in refused.value.errors] == [("subject", "blank")]
    assert await db.pool.fetchval("SELECT count(*) FROM tickets") == 0


@pytest.mark.parametrize("idempotency_key", [None, "retry-key-1"])
async def test_the_created_event_describes_the_ticket_exactly_as_it_was_stored(
    db: Database, units: UnitDirectory, idempotency_key: str | None
) -> None:
    """The one-statement create builds its event before the row exists: it must say what the
    row says, field for field (the unit of work's path, with a key, builds it after)."""
    vpn = await usecases.create_subject(db=db, actor=ADMIN, name="VPN", sla_plan_id=5)
    await usecases.create_custom_field(db=db, actor=ADMIN, field=CustomField(id=0, name="OS", kind="text"))
    os_id = (await usecases.list_custom_fields(db=db, actor=ADMIN))[0].id
    deadline = datetime(2031, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=3)))
    new = NewTicket(
        " vpn ",
        "Since morning",
        Priority.HIGH,
        10,
        [ANNA.user_id, BORIS.user_id],
        8,
        "mail",
        deadline=deadline,
        custom_fields={str(os_id): "Debian 12"},
    )
    made = await usecases.create_ticket(
        db=db, units=units, actor=HEAD, new=new, idempotency_key=idempotency_key
    )
    stored = await usecases.get_ticket(db=db, actor=HEAD, ticket_id=made.id)
    assert stored == made and stored.subject_id == vpn.id and stored.sla_plan_id == 5
    assert stored.deadline == deadline and stored.custom_fields == {str(os_id): "Debian 12"}
    [payload] = [p for s, p in await events_of(db) if s == "tickets.TicketCreated"]
    said = events_pb2.TicketCreated.FromString(payload)
    expected = events.ticket_created(stored, HEAD)[1]
    assert said.ticket == expected.ticket and said.audience == expected.audience
    assert (said.actor_id, said.occurred_at, said.sla_plan_id) == (HEAD.user_id, expected.occurred_at, 5)
    history = await usecases.ticket_history(db=db, actor=HEAD, ticket_id=made.id)
    assert [(h.action, h.at >= stored.created_at) for h in history] == [("created", True)]


async def test_two_members_taking_one_ticket_at_once_exactly_one_wins(
    db: Database, units: UnitDirectory
) -> None:
    t = await new_ticket(db, units)
    results = await asyncio.gather(
        usecases.take(db=db, actor=ANNA, ticket_id=t.id),
        usecases.take(db=db, actor=BORIS, ticket_id=t.id),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, AppError)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], WrongState)
    stored = await usecases.get_ticket(db=db, actor=HEAD, ticket_id=t.id)
    assert stored.state is State.IN_WORK and stored.locked_by == winners[0].locked_by
    taken = [s for s, _ in await events_of(db) if s == "tickets.TicketTaken"]
    assert len(taken) == 1


async def test_the_full_cycle_records_history_before_and_after(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
    done = await usecases.complete(db=db, actor=ANNA, ticket_id=t.id)
    assert (done.state, done.done_by, done.locked_by) == (State.DONE, ANNA.user_id, None)
    reopened = await usecases.reopen(db=db, actor=HEAD, ticket_id=t.id)
    assert (reopened.state, reopened.locked_by) == (State.IN_WORK, ANNA.user_id)  # the one who had it
    released = await usecases.release(db=db, actor=HEAD, ticket_id=t.id)
    assert (released.state, released.locked_by) == (State.NEW, None)
    history = await usecases.ticket_history(db=db, actor=HEAD, ticket_id=t.id)
    assert [(h.action, h.actor_id) for h in history] == [
        ("created", CLIENT.user_id),
        ("locked", ANNA.user_id),
        ("completed", ANNA.user_id),
        ("reopened", HEAD.user_id),
        ("unlocked", HEAD.user_id),
    ]
    assert history[1].changes == {"state": ["new", "in_work"], "locked_by": [None, 4]}
    assert history[2].changes == {"state": ["in_work", "done"], "locked_by": [4, None], "done_by": [None, 4]}
    assert released.version == t.version + 4


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "complete"),
        ([], "unlock"),
        ([], "reopen"),
        (["lock"], "lock"),
        (["lock"], "reopen"),
        (["lock", "complete"], "lock"),
        (["lock", "complete"], "complete"),
        (["lock", "complete"], "forward"),
    ],
)
async def test_an_action_the_state_does_not_allow_is_a_conflict(
    db: Database, units: UnitDirectory, setup: list[str], action: str
) -> None:
    t = await new_ticket(db, units)
    calls = {
        "lock": usecases.take,
        "unlock": usecases.release,
        "complete": usecases.complete,
        "reopen": usecases.reopen,
    }
    for step in setup:
        await calls[step](db=db, actor=ANNA, ticket_id=t.id)
    with pytest.raises(WrongState):
        if action == "forward":
            await usecases.forward(
                db=db, units=units, actor=ANNA, ticket_id=t.id, unit_id=20, assignee_ids=[]
            )
        else:
            await calls[action](db=db, actor=ANNA, ticket_id=t.id)
    assert (await usecases.get_ticket(db=db, actor=HEAD, ticket_id=t.id)).version == t.version + len(setup)


async def test_forward_clears_the_lock_and_keeps_the_note(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
    fwd = await usecases.forward(
        db=db, units=units, actor=ANNA, ticket_id=t.id, unit_id=20, assignee_ids=[6], note="network team"
    )
    assert (fwd.state, fwd.locked_by, fwd.unit_id, fwd.assignee_ids) == (State.NEW, None, 20, [6])
    last = (await usecases.ticket_history(db=db, actor=CLIENT, ticket_id=t.id))[-1]
    assert last.action == "forwarded"
    assert last.changes["note"] == [None, "network team"]
    assert last.changes["unit_id"] == [10, 20]
    subject, payload = (await events_of(db))[-1]
    event = events_pb2.TicketForwarded.FromString(payload)
    assert subject == "tickets.TicketForwarded"
    assert (event.previous_unit_id, event.note, list(event.actor_unit_ids)) == (10, "network team", [10])
    assert event.ticket.unit_id == 20 and event.ticket.version == fwd.version


async def test_forward_to_a_unit_that_does_not_exist_is_refused_and_changes_nothing(
    db: Database, units: UnitDirectory
) -> None:
    t = await new_ticket(db, units)
    with pytest.raises(InvalidTicket) as err:
        await usecases.forward(db=db, units=units, actor=ANNA, ticket_id=t.id, unit_id=999, assignee_ids=[])
    assert [e.field for e in err.value.errors] == ["unit_id"]
    assert (await usecases.get_ticket(db=db, actor=HEAD, ticket_id=t.id)).unit_id == 10


async def test_an_edit_with_a_stale_version_is_refused(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    await usecases.edit(
        db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(body="v2"), expected_version=t.version
    )
    with pytest.raises(StaleTicket):
        await usecases.edit(
            db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(body="v3"), expected_version=t.version
        )
    assert (await usecases.get_ticket(db=db, actor=CLIENT, ticket_id=t.id)).body == "v2"


async def test_a_subject_brings_its_sla_plan_and_changing_it_is_an_edit(
    db: Database, units: UnitDirectory
) -> None:
    vpn = await usecases.create_subject(db=db, actor=ADMIN, name="VPN", sla_plan_id=7)
    mail = await usecases.create_subject(db=db, actor=ADMIN, name="Mail", sla_plan_id=9)
    t = await new_ticket(db, units, subject="", subject_id=vpn.id)
    assert (t.subject, t.subject_id, t.sla_plan_id) == ("VPN", vpn.id, 7)
    created = events_pb2.TicketCreated.FromString((await events_of(db))[-1][1])
    assert (created.sla_plan_id, created.ticket.sla_plan_id) == (7, 7)
    edited = await usecases.edit(
        db=db, actor=HEAD, ticket_id=t.id, change=usecases.Edit(subject_id=mail.id, priority=Priority.LOW)
    )
    assert (edited.subject, edited.sla_plan_id, edited.priority) == ("Mail", 9, Priority.LOW)
    subject, payload = (await events_of(db))[-1]
    event = events_pb2.TicketEdited.FromString(payload)
    assert subject == "tickets.TicketEdited"
    assert list(event.changed_fields) == ["priority", "sla_plan_id", "subject", "subject_id"]
    assert event.ticket.sla_plan_id == 9


async def test_a_comment_event_names_who_commented_before(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="Still down")
    await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="Looking")
    c = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="Thanks")
    event = events_pb2.TicketCommented.FromString((await events_of(db))[-1][1])
    assert (event.comment_id, event.comment_body) == (c.id, "Thanks")
    assert sorted(event.previous_commenter_ids) == [ANNA.user_id, CLIENT.user_id]


async def test_script_in_a_comment_is_stored_raw_and_rendered_inert(
    db: Database, units: UnitDirectory
) -> None:
    t = await new_ticket(db, units)
    body = '<script>alert(1)</script> **bold** [x](javascript:alert(1)) <img src=x onerror="alert(1)">'
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body=body)
    [c] = await usecases.list_comments(db=db, actor=ANNA, ticket_id=t.id)
    assert c.body == body
    assert "<strong>bold</strong>" in c.html
    assert "<script" not in c.html and "<img" not in c.html and 'href="javascript' not in c.html


async def test_done_tickets_are_archived_after_the_setting_once_even_with_two_replicas(
    db: Database, units: UnitDirectory
) -> None:
    await usecases.put_settings(db=db, actor=ADMIN, value={"days_to_archive": 2})
    old, fresh = await new_ticket(db, units), await new_ticket(db, units)
    for t in (old, fresh):
        await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
        await usecases.complete(db=db, actor=ANNA, ticket_id=t.id)
    async with db.unit_of_work() as uow:
        await store.backdate_done(uow.conn, old.id, 2)
        await store.backdate_done(uow.conn, fresh.id, 1)
        await uow.commit()
    counts = await asyncio.gather(
        usecases.archive_due(db=db, settings=usecases.SettingsCache()),
        usecases.archive_due(db=db, settings=usecases.SettingsCache()),
    )
    assert sorted(counts) == [0, 1]
    assert (await usecases.get_ticket(db=db, actor=HEAD, ticket_id=old.id)).state is State.ARCHIVED
    assert (await usecases.get_ticket(db=db, actor=HEAD, ticket_id=fresh.id)).state is State.DONE
    assert [s for s, _ in await events_of(db)].count("tickets.TicketArchived") == 1
    with pytest.raises(WrongState):
        await usecases.add_comment(db=db, actor=CLIENT, ticket_id=old.id, body="reopen please")


async def test_delete_removes_the_ticket_and_its_comments(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="x")
    await usecases.delete(db=db, actor=ADMIN, ticket_id=t.id)
    assert await db.pool.fetchval("SELECT count(*) FROM comments") == 0
    assert (await events_of(db))[-1][0] == "tickets.TicketDeleted"


async def test_staff_filing_about_a_client_stores_the_clients_group(
    db: Database, units: UnitDirectory
) -> None:
    t = await new_ticket(db, units, actor=ANNA, client_id=9)
    assert (t.client_group_id, t.author_unit_ids) == (200, [10])


async def test_a_ticket_is_found_by_its_ref_only_by_those_who_see_it(
    db: Database, units: UnitDirectory
) -> None:
    t = await new_ticket(db, units, actor=ANNA)
    found = await usecases.get_ticket_by_ref(db=db, actor=HEAD, ref=t.ref)
    assert found.id == t.id
    stranger = Actor(9, True, None, client_group_id=200)
    with pytest.raises(TicketNotFound):
        await usecases.get_ticket_by_ref(db=db, actor=stranger, ref=t.ref)
    with pytest.raises(TicketNotFound):
        await usecases.get_ticket_by_ref(db=db, actor=HEAD, ref="no-such-ref")


async def test_done_at_is_set_when_done_and_cleared_when_reopened(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    assert t.done_at is None
    await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
    done = await usecases.complete(db=db, actor=ANNA, ticket_id=t.id)
    assert done.done_at is not None
    reopened = await usecases.reopen(db=db, actor=ANNA, ticket_id=t.id)
    assert (reopened.done_at, reopened.done_by) == (None, None)
