"""What agents and clients do all day, against real PostgreSQL: internal notes, a client's
comment reopening his ticket, what clients may not edit, one history entry for a comment
with files, search by number, default SLA plans, canned responses, saved views, bulk
actions, list totals and the ticket report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpdesk.tickets.v1 import events_pb2

from helpdesk_kit.db import Database
from helpdesk_tickets import store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, ListQuery, NewTicket, Priority, Role, State, Ticket
from helpdesk_tickets.errors import NotAllowed, ShortcutNotFound, TicketNotFound, WrongState
from helpdesk_tickets.storage import FileStore

HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))
ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
BORIS = Actor(5, False, Role.UNIT_MEMBER, frozenset({10}))
OTHER_HEAD = Actor(6, False, Role.UNIT_HEAD, frozenset({20}))
CLIENT = Actor(8, True, None, client_group_id=100)
ADMIN = Actor(1, False, Role.DEPARTMENT_HEAD, is_admin=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 40


async def file(db: Database, units: UnitDirectory, actor: Actor = CLIENT, **kw: object) -> Ticket:
    fields: dict[str, object] = {
        "subject": "VPN is down",
        "body": "Cannot connect since morning.",
        "priority": Priority.NORMAL,
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
        new=NewTicket(**fields),
        idempotency_key=None,  # type: ignore[arg-type]
    )


async def done_by_anna(db: Database, units: UnitDirectory) -> Ticket:
    t = await file(db, units)
    await usecases.take(db=db, actor=ANNA, ticket_id=t.id)
    return await usecases.complete(db=db, actor=ANNA, ticket_id=t.id)


async def chunks(data: bytes) -> object:
    yield data


async def test_an_internal_note_is_read_by_staff_and_neither_listed_nor_found_for_the_client(
    db: Database, units: UnitDirectory
) -> None:
    t = await file(db, units)
    await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="client is rude zebra", internal=True)
    await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="We are on it.")
    staff_sees = await usecases.list_comments(db=db, actor=HEAD, ticket_id=t.id)
    client_sees = await usecases.list_comments(db=db, actor=CLIENT, ticket_id=t.id)
    assert [c.internal for c in staff_sees] == [True, False]
    assert [c.body for c in client_sees] == ["We are on it."]
    # its words are in no search vector: the client cannot find the ticket by them
    found, _ = await usecases.list_tickets(db=db, actor=CLIENT, query=ListQuery(text="zebra"), cursor=None)
    assert found == []
    history = await usecases.ticket_history(db=db, actor=CLIENT, ticket_id=t.id)
    assert [e.action for e in history] == ["created", "commented"]
    payloads = await db.pool.fetch(
        "SELECT payload FROM outbox WHERE subject = 'tickets.TicketCommented' ORDER BY id"
    )
    assert [events_pb2.TicketCommented.FromString(bytes(p["payload"])).internal for p in payloads] == [
        True,
        False,
    ]


async def test_clients_write_no_internal_notes_and_the_role_default_decides_when_unsaid(
    db: Database, units: UnitDirectory
) -> None:
    t = await file(db, units)
    with pytest.raises(NotAllowed):
        await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="psst", internal=True)
    settings = usecases.SettingsCache(ttl=0)
    await usecases.put_settings(db=db, actor=ADMIN, value={"internal_by_default": ["unit_member"]})
    member = await usecases.add_comment(db=db, actor=ANNA, ticket_id=t.id, body="note", settings=settings)
    head = await usecases.add_comment(db=db, actor=HEAD, ticket_id=t.id, body="reply", settings=settings)
    said = await usecases.add_comment(
        db=db, actor=ANNA, ticket_id=t.id, body="reply", internal=False, settings=settings
    )
    assert (member.internal, head.internal, said.internal) == (True, False, False)


async def test_a_file_of_an_internal_note_is_hidden_from_the_client(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t = await file(db, units)
    blobs = FileStore(tmp_path / "files")
    a = await usecases.upload_attachment(
        db=db,
        blobs=blobs,
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=ANNA,
        ticket_id=t.id,
        filename="screen.png",
        chunks=chunks(PNG),
        for_comment=True,  # type: ignore[arg-type]
    )
    # waiting for its comment: not the client's to see yet
    assert await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id) == []
    await usecases.add_comment(
        db=db, actor=ANNA, ticket_id=t.id, body="", attachment_ids=[a.id], internal=True
    )
    assert await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id) == []
    with pytest.raises(TicketNotFound):
        await usecases.open_attachment(db=db, blobs=blobs, actor=CLIENT, attachment_id=a.id)
    assert [x.id for x in await usecases.list_attachments(db=db, actor=HEAD, ticket_id=t.id)] == [a.id]


async def test_a_comment_with_a_file_makes_one_history_entry_naming_the_file(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t = await file(db, units)
    a = await usecases.upload_attachment(
        db=db,
        blobs=FileStore(tmp_path / "files"),
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=CLIENT,
        ticket_id=t.id,
        filename="screen.png",
        chunks=chunks(PNG),
        for_comment=True,  # type: ignore[arg-type]
    )
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="see", attachment_ids=[a.id])
    history = await usecases.ticket_history(db=db, actor=ANNA, ticket_id=t.id)
    assert [e.action for e in history] == ["created", "commented"]
    assert history[1].changes["attachments"] == [None, ["screen.png"]]
    assert [x.id for x in await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id)] == [a.id]


async def test_a_clients_comment_on_his_done_ticket_puts_it_back_in_work_by_who_finished_it(
    db: Database, units: UnitDirectory
) -> None:
    t = await done_by_anna(db, units)
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="Still broken.")
    again = await usecases.get_ticket(db=db, actor=CLIENT, ticket_id=t.id)
    assert (again.state, again.locked_by, again.done_by) == (State.IN_WORK, ANNA.user_id, None)
    actions = [e.action for e in await usecases.ticket_history(db=db, actor=ANNA, ticket_id=t.id)]
    assert actions[-2:] == ["reopened", "commented"]


async def test_a_clients_comment_leaves_it_done_when_reopening_is_off_or_too_late(
    db: Database, units: UnitDirectory
) -> None:
    settings = usecases.SettingsCache(ttl=0)
    late = await done_by_anna(db, units)
    async with db.unit_of_work() as uow:
        await store.backdate_done(uow.conn, late.id, 8)
        await uow.commit()
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=late.id, body="Hello?", settings=settings)
    assert (await usecases.get_ticket(db=db, actor=CLIENT, ticket_id=late.id)).state is State.DONE
    await usecases.put_settings(db=db, actor=ADMIN, value={"client_reopen": False})
    off = await done_by_anna(db, units)
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=off.id, body="Hello?", settings=settings)
    assert (await usecases.get_ticket(db=db, actor=CLIENT, ticket_id=off.id)).state is State.DONE


async def test_a_client_changes_neither_priority_nor_deadline_nor_a_done_ticket(
    db: Database, units: UnitDirectory
) -> None:
    t = await file(db, units)
    with pytest.raises(NotAllowed) as err:
        await usecases.edit(db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(priority=Priority.HIGH))
    assert [e.field for e in err.value.errors] == ["priority"]
    with pytest.raises(NotAllowed):
        await usecases.edit(
            db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(deadline=datetime.now(UTC))
        )
    edited = await usecases.edit(
        db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(body="More detail.")
    )
    assert edited.body == "More detail."
    done = await done_by_anna(db, units)
    with pytest.raises(WrongState):
        await usecases.edit(db=db, actor=CLIENT, ticket_id=done.id, change=usecases.Edit(body="x"))
    assert "edit" not in usecases_allowed(
        CLIENT, await usecases.get_ticket(db=db, actor=CLIENT, ticket_id=done.id)
    )


def usecases_allowed(actor: Actor, t: Ticket) -> list[str]:
    from helpdesk_tickets.domain import allowed_actions

    return allowed_actions(actor, t)


@pytest.mark.parametrize("text", ["{n}", "#{n}", " #{n} "])
async def test_searching_for_a_tickets_number_finds_it(db: Database, units: UnitDirectory, text: str) -> None:
    t = await file(db, units)
    await file(db, units, subject="Another one")
    found, _ = await usecases.list_tickets(
        db=db, actor=ANNA, query=ListQuery(text=text.format(n=t.number)), cursor=None
    )
    assert [x.id for x in found] == [t.id]


async def test_a_ticket_without_a_subject_plan_takes_its_units_default_and_a_typed_subject_matches_the_list(
    db: Database, units: UnitDirectory
) -> None:
    settings = usecases.SettingsCache(ttl=0)
    await usecases.put_settings(db=db, actor=ADMIN, value={"unit_sla_plans": {"10": 7, "20": 9}})
    subject = await usecases.create_subject(db=db, actor=ADMIN, name="Printer", sla_plan_id=3)
    free = await usecases.create_ticket(
        db=db,
        units=units,
        actor=CLIENT,
        idempotency_key=None,
        settings=settings,
        new=NewTicket("Something odd", "", Priority.NORMAL, 10, [], None, "web"),
    )
    typed = await usecases.create_ticket(
        db=db,
        units=units,
        actor=CLIENT,
        idempotency_key=None,
        settings=settings,
        new=NewTicket("  printer ", "", Priority.NORMAL, 10, [], None, "web"),
    )
    assert free.sla_plan_id == 7
    assert (typed.subject, typed.subject_id, typed.sla_plan_id) == ("Printer", subject.id, 3)
    moved = await usecases.forward(
        db=db, units=units, actor=ANNA, ticket_id=free.id, unit_id=20, assignee_ids=[], settings=settings
    )
    assert moved.sla_plan_id == 9


async def test_canned_responses_are_ones_own_or_shared_by_a_unit_head_with_his_unit(db: Database) -> None:
    mine = await usecases.create_canned(
        db=db, actor=ANNA, title="Hello", body="Hi {client_name}", unit_id=None
    )
    shared = await usecases.create_canned(db=db, actor=HEAD, title="Restart", body="Restart it.", unit_id=10)
    with pytest.raises(NotAllowed):
        await usecases.create_canned(db=db, actor=ANNA, title="x", body="y", unit_id=10)
    with pytest.raises(NotAllowed):
        await usecases.create_canned(db=db, actor=OTHER_HEAD, title="x", body="y", unit_id=10)
    with pytest.raises(NotAllowed):
        await usecases.list_canned(db=db, actor=CLIENT)
    assert [c.id for c in await usecases.list_canned(db=db, actor=ANNA)] == [mine.id, shared.id]
    assert [c.id for c in await usecases.list_canned(db=db, actor=BORIS)] == [shared.id]
    assert await usecases.list_canned(db=db, actor=OTHER_HEAD) == []
    with pytest.raises(ShortcutNotFound):
        await usecases.delete_canned(db=db, actor=BORIS, canned_id=mine.id)
    await usecases.delete_canned(db=db, actor=HEAD, canned_id=shared.id)
    assert [c.id for c in await usecases.list_canned(db=db, actor=ANNA)] == [mine.id]


async def test_saved_views_are_personal_or_shared_with_a_unit(db: Database) -> None:
    own = await usecases.create_view(
        db=db, actor=ANNA, name="Mine new", query="?box=inbox&state=new", unit_id=None
    )
    team = await usecases.create_view(
        db=db, actor=HEAD, name="Team high", query="box=inbox&priority=high", unit_id=10
    )
    assert own.query == "box=inbox&state=new"
    assert [v.name for v in await usecases.list_views(db=db, actor=ANNA)] == ["Mine new", "Team high"]
    assert [v.name for v in await usecases.list_views(db=db, actor=BORIS)] == ["Team high"]
    with pytest.raises(ShortcutNotFound):
        await usecases.delete_view(db=db, actor=BORIS, view_id=team.id)


async def test_a_bulk_take_does_what_it_may_and_says_what_was_refused_and_why(
    db: Database, units: UnitDirectory
) -> None:
    free = await file(db, units)
    taken = await file(db, units)
    await usecases.take(db=db, actor=BORIS, ticket_id=taken.id)
    elsewhere = await file(db, units, unit_id=30)
    result = await usecases.bulk(
        db=db, units=units, actor=ANNA, action="lock", ticket_ids=[free.id, taken.id, elsewhere.id, 999_999]
    )
    assert result.done == [free.id]
    assert [(r.ticket_id, r.code) for r in result.refused] == [
        (taken.id, "conflict"),
        (elsewhere.id, "not_found"),
        (999_999, "not_found"),
    ]
    raised = await usecases.bulk(
        db=db,
        units=units,
        actor=HEAD,
        action="priority",
        ticket_ids=[free.id, taken.id],
        priority=Priority.HIGH,
    )
    assert raised.done == [free.id, taken.id]


async def test_a_lists_total_counts_every_match_not_only_the_page(db: Database, units: UnitDirectory) -> None:
    for _ in range(5):
        await file(db, units)
    assert await usecases.count_tickets(db=db, actor=ANNA, query=ListQuery(limit=2)) == (5, False)
    assert await usecases.count_tickets(db=db, actor=ANNA, query=ListQuery(states=["in_work"])) == (0, False)


async def test_the_ticket_report_counts_created_done_and_open_per_day_and_who_finished_them(
    db: Database, units: UnitDirectory
) -> None:
    printer = await usecases.create_subject(db=db, actor=ADMIN, name="Printer", sla_plan_id=None)
    finished = await done_by_anna(db, units)
    await file(db, units, subject="printer")
    await file(db, units, subject="Printer")
    reopened = await done_by_anna(db, units)
    await usecases.reopen(db=db, actor=HEAD, ticket_id=reopened.id)
    today = datetime.now(UTC).date()
    report = await usecases.ticket_report(
        db=db, actor=HEAD, first=today - timedelta(days=1), last=today, unit_id=None
    )
    assert [d["day"] for d in report["days"]] == [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    # 4 filed, 2 finishes (one reopened since): 3 open at the end of today, none before
    assert report["days"][-1] == {"day": today.isoformat(), "created": 4, "done": 2, "open": 3}
    assert report["days"][0]["open"] == 0
    assert report["people"] == [{"user_id": ANNA.user_id, "done": 2}]
    assert sorted(report["subjects"], key=lambda x: x["subject_id"]) == [
        {"subject_id": 0, "subject": "", "created": 2},  # the typed subjects together
        {"subject_id": printer.id, "subject": "Printer", "created": 2},  # "printer" typed is the listed one
    ]
    assert finished.id
    with pytest.raises(NotAllowed):
        await usecases.ticket_report(db=db, actor=ANNA, first=today, last=today, unit_id=None)
    with pytest.raises(NotAllowed):
        await usecases.ticket_report(db=db, actor=HEAD, first=today, last=today, unit_id=20)


async def test_the_report_reads_the_same_before_and_after_its_appended_changes_are_folded(
    db: Database, units: UnitDirectory
) -> None:
    await done_by_anna(db, units)
    reopened = await done_by_anna(db, units)
    await usecases.reopen(db=db, actor=HEAD, ticket_id=reopened.id)
    await file(db, units)
    today = datetime.now(UTC).date()

    async def report() -> dict[str, object]:
        return await usecases.ticket_report(db=db, actor=HEAD, first=today, last=today, unit_id=None)

    before = await report()
    assert before["days"] == [{"day": today.isoformat(), "created": 3, "done": 2, "open": 2}]
    # Writers append (3 filed, 2 finished, 1 reopened): no shared row is updated per ticket.
    assert await db.pool.fetchval("SELECT count(*) FROM report_day_changes") == 6
    assert await db.pool.fetchval("SELECT count(*) FROM report_days") == 0
    assert await usecases.fold_report_days(db=db) == 6
    assert await db.pool.fetchval("SELECT count(*) FROM report_day_changes") == 0
    assert await report() == before
    await file(db, units)  # a change after the fold adds to the folded rows
    assert await usecases.fold_report_days(db=db) == 1
    after = await report()
    assert after["days"] == [{"day": today.isoformat(), "created": 4, "done": 2, "open": 3}]
