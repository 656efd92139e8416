"""The ticket's rules without a database: validation and visibility."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, State, Ticket, can_see
from helpdesk_tickets.errors import InvalidTicket

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CLIENT = Actor(user_id=50, is_client=True, role=None)
MEMBER = Actor(user_id=12, is_client=False, role=Role.UNIT_MEMBER, unit_ids=frozenset({1}))


def new(**kw: object) -> NewTicket:
    fields: dict[str, object] = {
        "subject": "Printer",
        "body": "",
        "priority": Priority.NORMAL,
        "unit_id": 1,
        "assignee_ids": [],
        "client_id": None,
        "source": "web",
    }
    fields.update(kw)
    return NewTicket(**fields)  # type: ignore[arg-type]


def ticket(**kw: object) -> Ticket:
    fields: dict[str, object] = {
        "id": 1,
        "number": 1,
        "ref": "r",
        "subject": "s",
        "body": "",
        "priority": Priority.NORMAL,
        "state": State.NEW,
        "unit_id": 1,
        "author_id": 99,
        "client_id": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(kw)
    return Ticket(**fields)  # type: ignore[arg-type]


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidTicket) as err:
        new(subject="  ", unit_id=7, assignee_ids=[3, 3]).checked(actor=MEMBER, known_units={1})
    assert {e.field for e in err.value.errors} == {"subject", "unit_id", "assignee_ids"}


def test_a_client_chooses_only_the_unit_and_the_ticket_is_about_him() -> None:
    with pytest.raises(InvalidTicket):
        new(assignee_ids=[12]).checked(actor=CLIENT, known_units={1})
    checked = new(subject=" Printer ").checked(actor=CLIENT, known_units={1})
    assert checked.client_id == CLIENT.user_id and checked.subject == "Printer"


def test_a_client_sees_only_tickets_he_wrote_or_that_are_about_him() -> None:
    assert can_see(CLIENT, ticket(author_id=50))
    assert can_see(CLIENT, ticket(client_id=50))
    assert not can_see(CLIENT, ticket())


def test_a_member_sees_his_units_unassigned_tickets_and_his_own_but_not_others_assigned_work() -> None:
    assert can_see(MEMBER, ticket())
    assert can_see(MEMBER, ticket(assignee_ids=[12]))
    assert not can_see(MEMBER, ticket(assignee_ids=[13]))
    assert not can_see(MEMBER, ticket(unit_id=2))
    assert can_see(MEMBER, ticket(unit_id=2, author_id=12))


def test_heads_see_more() -> None:
    head = Actor(user_id=11, is_client=False, role=Role.UNIT_HEAD, unit_ids=frozenset({1}))
    boss = Actor(user_id=10, is_client=False, role=Role.DEPARTMENT_HEAD)
    assert can_see(head, ticket(assignee_ids=[13]))
    assert not can_see(head, ticket(unit_id=2))
    assert can_see(boss, ticket(unit_id=2, assignee_ids=[21]))
