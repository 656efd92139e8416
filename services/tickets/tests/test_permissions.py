"""The permission matrix of docs/product/roles.md and docs/product/tickets.md § Actions:
every role by every action and read, and the answer.

The ticket under test: unit 10, assigned to member 4, written by staff member 7
(of unit 30) about client 8 (client group 100). Each cell starts from a fresh
ticket in the state the action needs (shown in the column's header) and calls
the use case against real PostgreSQL. ``ok`` = done, ``403`` = not the caller's
to do, ``404`` = the caller does not see the ticket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Ticket, allowed_actions

MEMBER, HEAD, DEPT = Role.UNIT_MEMBER, Role.UNIT_HEAD, Role.DEPARTMENT_HEAD

ROLES: dict[str, Actor] = {
    "department head": Actor(1, False, DEPT),
    "unit head (unit 10)": Actor(2, False, HEAD, frozenset({10})),
    "unit head (other unit)": Actor(3, False, HEAD, frozenset({20})),
    "member assigned": Actor(4, False, MEMBER, frozenset({10})),
    "member of unit, not assigned": Actor(5, False, MEMBER, frozenset({10})),
    "member of other unit": Actor(6, False, MEMBER, frozenset({20})),
    "author (staff, unit 30)": Actor(7, False, MEMBER, frozenset({30})),
    "client (the ticket's)": Actor(8, True, None, client_group_id=100),
    "other client": Actor(9, True, None, client_group_id=200),
    "client-group lead": Actor(11, True, None, client_group_id=100, is_client_group_lead=True),
    "admin (member, other unit)": Actor(12, False, MEMBER, frozenset({20}), is_admin=True),
}

# fmt: off
# ruff: noqa: E501
COLUMNS = (  "read", "history", "lock", "unlock", "complete", "reopen", "forward", "forward", "comment", "edit", "delete")
STATES  = (  "new",  "new",     "new",  "in work", "in work", "done",  "new",     "in work", "new",     "new",  "new")
MATRIX = {
    "department head":              ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "ok",  "ok",  "403"),
    "unit head (unit 10)":          ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "ok",  "ok",  "403"),
    "unit head (other unit)":       ("404", "404", "404", "404", "404", "404", "404", "404", "404", "404", "404"),
    "member assigned":              ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "member of unit, not assigned": ("404", "404", "404", "404", "404", "404", "404", "404", "404", "404", "404"),
    "member of other unit":         ("404", "404", "404", "404", "404", "404", "404", "404", "404", "404", "404"),
    "author (staff, unit 30)":      ("ok",  "ok",  "ok",  "403", "403", "403", "ok",  "403", "ok",  "ok",  "403"),
    "client (the ticket's)":        ("ok",  "ok",  "403", "403", "403", "403", "403", "403", "ok",  "403", "403"),
    "other client":                 ("404", "404", "404", "404", "404", "404", "404", "404", "404", "404", "404"),
    "client-group lead":            ("ok",  "ok",  "403", "403", "403", "403", "403", "403", "ok",  "403", "403"),
    "admin (member, other unit)":   ("404", "404", "404", "404", "404", "404", "404", "404", "404", "404", "ok"),
}
# A ticket sent to unit 10 as a whole (no assignees): who of the members may work on it.
UNIT_WIDE_COLUMNS = ("read", "lock", "forward", "edit")
UNIT_WIDE = {
    "member of unit, not assigned": ("ok",  "ok",  "ok",  "403"),
    "member of other unit":         ("404", "404", "404", "404"),
    "unit head (other unit)":       ("404", "404", "404", "404"),
}
# fmt: on

AUTHOR = ROLES["author (staff, unit 30)"]
ASSIGNEE = ROLES["member assigned"]


async def fresh_ticket(db: Database, units: UnitDirectory, state: str, assignee_ids: list[int]) -> Ticket:
    new = NewTicket("Printer jams", "It jams.", Priority.NORMAL, 10, assignee_ids, 8, "web")
    t = await usecases.create_ticket(db=db, units=units, actor=AUTHOR, new=new, idempotency_key=None)
    worker = ASSIGNEE if assignee_ids else ROLES["member of unit, not assigned"]
    if state in ("in work", "done"):
        t = await usecases.take(db=db, actor=worker, ticket_id=t.id)
    if state == "done":
        t = await usecases.complete(db=db, actor=worker, ticket_id=t.id)
    return t


def action(db: Database, units: UnitDirectory, name: str) -> Callable[[Actor, int], Awaitable[object]]:
    calls: dict[str, Callable[[Actor, int], Awaitable[object]]] = {
        "read": lambda a, i: usecases.get_ticket(db=db, actor=a, ticket_id=i),
        "history": lambda a, i: usecases.ticket_history(db=db, actor=a, ticket_id=i),
        "lock": lambda a, i: usecases.take(db=db, actor=a, ticket_id=i),
        "unlock": lambda a, i: usecases.release(db=db, actor=a, ticket_id=i),
        "complete": lambda a, i: usecases.complete(db=db, actor=a, ticket_id=i),
        "reopen": lambda a, i: usecases.reopen(db=db, actor=a, ticket_id=i),
        "forward": lambda a, i: usecases.forward(
            db=db, units=units, actor=a, ticket_id=i, unit_id=20, assignee_ids=[], note="yours"
        ),
        "comment": lambda a, i: usecases.add_comment(db=db, actor=a, ticket_id=i, body="Any news?"),
        "edit": lambda a, i: usecases.edit(
            db=db, actor=a, ticket_id=i, change=usecases.Edit(body="It jams daily.")
        ),
        "delete": lambda a, i: usecases.delete(db=db, actor=a, ticket_id=i),
    }
    return calls[name]


async def outcome(call: Awaitable[object]) -> str:
    try:
        await call
    except AppError as exc:
        return str(exc.code.http_status)
    return "ok"


@pytest.mark.parametrize(
    "column", range(len(COLUMNS)), ids=[f"{c}@{s}" for c, s in zip(COLUMNS, STATES, strict=True)]
)
async def test_each_role_gets_the_answer_the_matrix_gives(
    db: Database, units: UnitDirectory, column: int
) -> None:
    do = action(db, units, COLUMNS[column])
    got: dict[str, str] = {}
    for role, actor in ROLES.items():
        t = await fresh_ticket(db, units, STATES[column], [ASSIGNEE.user_id])
        got[role] = await outcome(do(actor, t.id))
    assert got == {role: row[column] for role, row in MATRIX.items()}


@pytest.mark.parametrize("column", range(len(UNIT_WIDE_COLUMNS)), ids=UNIT_WIDE_COLUMNS)
async def test_members_work_on_tickets_sent_to_their_unit_as_a_whole(
    db: Database, units: UnitDirectory, column: int
) -> None:
    do = action(db, units, UNIT_WIDE_COLUMNS[column])
    got = {}
    for role in UNIT_WIDE:
        t = await fresh_ticket(db, units, "new", [])
        got[role] = await outcome(do(ROLES[role], t.id))
    assert got == {role: row[column] for role, row in UNIT_WIDE.items()}


@pytest.mark.parametrize("role", list(ROLES))
async def test_allowed_actions_list_exactly_what_the_matrix_allows_on_a_new_ticket(
    db: Database, units: UnitDirectory, role: str
) -> None:
    t = await fresh_ticket(db, units, "new", [ASSIGNEE.user_id])
    expected = [
        name
        for name in ("lock", "forward", "comment", "edit", "delete")
        if MATRIX[role][COLUMNS.index(name)] == "ok"
    ]
    got = allowed_actions(ROLES[role], t)
    assert sorted(got) == sorted(expected)
