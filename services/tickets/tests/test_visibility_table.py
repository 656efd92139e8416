"""One role table for "who sees a ticket": the domain rule, the list SQL and the events' audience.

The table (tests/contracts/ticket_visibility.json) names people of every role and
tickets of every shape, and who sees which. Here it holds tickets' three copies to
it: ``domain.can_see``, the inbox and outbox queries, and the audience the events
carry (which realtime's test of the same table then delivers by).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpdesk.tickets.v1 import events_pb2

from helpdesk_kit.db import Database
from helpdesk_tickets import events, store, usecases
from helpdesk_tickets.domain import Actor, ListQuery, NewTicket, Priority, Role, Ticket, can_see

TABLE = json.loads(
    (Path(__file__).resolve().parents[3] / "tests" / "contracts" / "ticket_visibility.json").read_text()
)
PEOPLE: dict[str, dict[str, Any]] = TABLE["people"]
TICKETS: dict[str, dict[str, Any]] = TABLE["tickets"]
SEES: dict[str, list[str]] = TABLE["sees"]


def actor(person: dict[str, Any]) -> Actor:
    return Actor(
        user_id=person["user_id"],
        is_client=person["is_client"],
        role=Role(person["role"]) if person["role"] else None,
        unit_ids=frozenset(person["unit_ids"]),
        is_admin=person.get("is_admin", False),
        client_group_id=person.get("client_group_id"),
        is_client_group_lead=person.get("is_client_group_lead", False),
    )


async def file_all(db: Database) -> dict[int, str]:
    """Every ticket of the table in a fresh database: ticket id → its name in the table."""
    names: dict[int, str] = {}
    async with db.unit_of_work() as uow:
        for name, entry in TICKETS.items():
            t = entry["ticket"]
            new = NewTicket(name, "", Priority.NORMAL, t["unit_id"], t["assignee_ids"], t["client_id"], "web")
            stored = await store.insert_ticket(
                uow.conn,
                new,
                store.NewRow(
                    ref=f"ref-{len(names)}",
                    author_id=t["author_id"],
                    author_unit_ids=t["author_unit_ids"],
                    client_group_id=t["client_group_id"],
                ),
            )
            names[stored.id] = name
        await uow.commit()
    return names


async def listed(db: Database, who: Actor) -> set[int]:
    """What the lists show him: the inbox and the outbox (what he wrote)."""
    found: set[int] = set()
    for box in ("inbox", "outbox"):
        page, _ = await usecases.list_tickets(
            db=db, actor=who, query=ListQuery(box=box, limit=200), cursor=None
        )
        found |= {t.id for t in page}
    return found


def test_the_table_names_every_role_and_says_what_each_person_sees() -> None:
    roles = {
        (p["role"], p["is_client"], p.get("is_client_group_lead", False), p.get("is_admin", False))
        for p in PEOPLE.values()
    }
    assert {r[0] for r in roles} >= {"department_head", "unit_head", "unit_member", None}
    assert any(r[2] for r in roles) and any(r[3] for r in roles)  # a client-group lead and an admin
    assert set(SEES) == set(PEOPLE)
    assert all(set(seen) <= set(TICKETS) for seen in SEES.values())


@pytest.mark.parametrize("person", sorted(PEOPLE))
async def test_the_domain_rule_and_the_lists_show_each_person_exactly_his_row(
    db: Database, person: str
) -> None:
    names = await file_all(db)
    who = actor(PEOPLE[person])
    async with db.unit_of_work() as uow:
        tickets: list[Ticket] = [t for i in names if (t := await store.ticket_by_id(uow.conn, i)) is not None]
    by_rule = {names[t.id] for t in tickets if can_see(who, t)}
    in_lists = {names[i] for i in await listed(db, who)}
    assert by_rule == set(SEES[person])
    assert in_lists == set(SEES[person])


async def test_every_event_carries_the_audience_of_the_table(db: Database) -> None:
    names = await file_all(db)
    author = actor(PEOPLE["department head"])
    async with db.unit_of_work() as uow:
        for ticket_id, name in names.items():
            t = await store.ticket_by_id(uow.conn, ticket_id)
            assert t is not None
            expected = events_pb2.TicketAudience(**TICKETS[name]["audience"])
            carried = [
                events.ticket_created(t, author)[1].audience,
                events.ticket_edited(t, author, ["body"])[1].audience,
                events.ticket_archived(t)[1].audience,
                events.ticket_deleted(t, author)[1].audience,
            ]
            assert carried == [expected] * len(carried), name
