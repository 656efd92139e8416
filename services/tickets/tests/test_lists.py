"""Lists: visibility enforced in SQL agrees with the rule in Python; filters, pages, search."""

from __future__ import annotations

import itertools

from helpdesk_kit.db import Database
from helpdesk_tickets import store, usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, ListQuery, NewTicket, Priority, Role, State, Ticket, can_see

MEMBER, HEAD_ROLE = Role.UNIT_MEMBER, Role.UNIT_HEAD
ROLES: dict[str, Actor] = {  # the people of the permission matrix
    "department head": Actor(1, False, Role.DEPARTMENT_HEAD),
    "unit head (unit 10)": Actor(2, False, HEAD_ROLE, frozenset({10})),
    "unit head (other unit)": Actor(3, False, HEAD_ROLE, frozenset({20})),
    "unit head (unit 30)": Actor(13, False, HEAD_ROLE, frozenset({30})),
    "member assigned": Actor(4, False, MEMBER, frozenset({10})),
    "member of unit, not assigned": Actor(5, False, MEMBER, frozenset({10})),
    "member of other unit": Actor(6, False, MEMBER, frozenset({20})),
    "author (staff, unit 30)": Actor(7, False, MEMBER, frozenset({30})),
    "client (the ticket's)": Actor(8, True, None, client_group_id=100),
    "other client": Actor(9, True, None, client_group_id=200),
    "client-group lead": Actor(11, True, None, client_group_id=100, is_client_group_lead=True),
}

ANNA = ROLES["member assigned"]
HEAD = ROLES["unit head (unit 10)"]


async def make(
    db: Database, units: UnitDirectory, author: Actor, unit_id: int, assignees: list[int], **kw: object
) -> Ticket:
    fields: dict[str, object] = {
        "subject": "Printer",
        "body": "",
        "priority": Priority.NORMAL,
        "unit_id": unit_id,
        "assignee_ids": [] if author.is_client else assignees,
        "client_id": None,
        "source": "web",
    }
    fields.update(kw)
    return await usecases.create_ticket(
        db=db,
        units=units,
        actor=author,
        new=NewTicket(**fields),
        idempotency_key=None,  # type: ignore[arg-type]
    )


async def everything(db: Database, actor: Actor, box: str) -> set[int]:
    tickets, _ = await usecases.list_tickets(
        db=db, actor=actor, query=ListQuery(box=box, limit=200), cursor=None
    )
    return {t.id for t in tickets}


async def test_every_role_lists_exactly_the_tickets_it_may_see(db: Database, units: UnitDirectory) -> None:
    authors = [
        ROLES[r]
        for r in ("author (staff, unit 30)", "client (the ticket's)", "other client", "member of other unit")
    ]
    made: list[Ticket] = []
    for author, unit_id, assignees in itertools.product(authors, (10, 20), ([], [4], [6])):
        made.append(
            await make(db, units, author, unit_id, assignees, client_id=8 if not author.is_client else None)
        )
    archived = made[::5]
    for t in archived:
        await usecases.take(db=db, actor=ROLES["department head"], ticket_id=t.id)
        await usecases.complete(db=db, actor=ROLES["department head"], ticket_id=t.id)
        async with db.unit_of_work() as uow:
            await store.backdate_done(uow.conn, t.id, 10)
            await uow.commit()
    await usecases.archive_due(db=db, settings=usecases.SettingsCache())
    stored = [await usecases.get_ticket(db=db, actor=ROLES["department head"], ticket_id=t.id) for t in made]
    for role, actor in ROLES.items():
        visible_open = {t.id for t in stored if t.state is not State.ARCHIVED and can_see(actor, t)}
        visible_archived = {t.id for t in stored if t.state is State.ARCHIVED and can_see(actor, t)}
        inbox, outbox = await everything(db, actor, "inbox"), await everything(db, actor, "outbox")
        assert inbox | outbox == visible_open, role
        assert outbox == {
            t.id for t in stored if t.author_id == actor.user_id and t.state is not State.ARCHIVED
        }, role
        assert await everything(db, actor, "archive") == visible_archived, role


async def test_filters_narrow_the_inbox(db: Database, units: UnitDirectory) -> None:
    author = ROLES["author (staff, unit 30)"]
    mine = await make(db, units, author, 10, [], priority=Priority.HIGH)
    other = await make(db, units, author, 10, [])
    idle = await make(db, units, author, 10, [4], priority=Priority.LOW)
    await usecases.take(db=db, actor=ANNA, ticket_id=mine.id)
    await usecases.take(db=db, actor=HEAD, ticket_id=other.id)
    async with db.unit_of_work() as uow:
        await usecases.record_sla_state(uow, idle.id, "breached")
        await uow.commit()

    async def ids(actor: Actor, **kw: object) -> list[int]:
        tickets, _ = await usecases.list_tickets(db=db, actor=actor, query=ListQuery(**kw), cursor=None)  # type: ignore[arg-type]
        return [t.id for t in tickets]

    assert await ids(HEAD, locked="me") == [other.id]
    assert await ids(HEAD, locked="others") == [mine.id]
    assert await ids(HEAD, states=["new"]) == [idle.id]
    assert await ids(HEAD, priorities=["high", "low"]) == [idle.id, mine.id]
    assert await ids(HEAD, assignee_id=4) == [idle.id]
    assert await ids(HEAD, sla_states=["breached"]) == [idle.id]
    assert await ids(HEAD, sort="id") == [mine.id, other.id, idle.id]


async def test_pages_follow_the_cursor_without_gaps_or_repeats(db: Database, units: UnitDirectory) -> None:
    author = ROLES["author (staff, unit 30)"]
    made = [await make(db, units, author, 10, []) for _ in range(7)]
    for sort in ("-id", "updated_at"):
        seen: list[int] = []
        cursor = None
        while True:
            page, cursor = await usecases.list_tickets(
                db=db, actor=HEAD, query=ListQuery(sort=sort, limit=3), cursor=cursor
            )
            seen += [t.id for t in page]
            if cursor is None:
                break
        assert sorted(seen) == sorted(t.id for t in made) and len(seen) == len(set(seen)), sort


async def test_search_finds_russian_and_english_words_in_subject_body_and_comments(
    db: Database, units: UnitDirectory
) -> None:
    author = ROLES["author (staff, unit 30)"]
    printer = await make(db, units, author, 10, [], subject="Принтер не печатает", body="Замялась бумага")
    vpn = await make(db, units, author, 10, [], subject="VPN", body="Connections keep dropping")
    hidden = await make(db, units, author, 20, [], subject="Принтеры на складе")
    await usecases.add_comment(db=db, actor=author, ticket_id=vpn.id, body="Перезагрузили маршрутизатор")

    async def found(actor: Actor, text: str) -> list[int]:
        tickets, _ = await usecases.list_tickets(db=db, actor=actor, query=ListQuery(text=text), cursor=None)
        return [t.id for t in tickets]

    assert await found(HEAD, "принтеры") == [printer.id]  # stemmed; unit 20's ticket is not his
    assert await found(HEAD, "бумаги") == [printer.id]
    assert await found(HEAD, "connection dropped") == [vpn.id]
    assert await found(HEAD, "маршрутизатора") == [vpn.id]  # a comment's words
    assert await found(ROLES["department head"], "принтер") == [hidden.id, printer.id]
