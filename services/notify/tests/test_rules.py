"""SPEC §4, row "ticket created", against an in-memory directory."""

from __future__ import annotations

from helpdesk_notify.rules import Person, ticket_created

UNIT_A, UNIT_B = 1, 2


class Directory:
    def __init__(self, people: list[Person]) -> None:
        self._people = {p.id: p for p in people}

    async def unit_members(self, unit_id: int) -> list[Person]:
        return [p for p in self._people.values() if unit_id in p.unit_ids]

    async def people(self, ids: list[int]) -> list[Person]:
        return [self._people[i] for i in ids if i in self._people]


DIRECTORY = Directory(
    [
        Person(10, "department_head", frozenset({UNIT_A})),
        Person(11, "unit_head", frozenset({UNIT_A})),
        Person(12, "unit_member", frozenset({UNIT_A})),
        Person(13, "unit_member", frozenset({UNIT_A, UNIT_B})),
        Person(20, "unit_head", frozenset({UNIT_B})),
        Person(21, "unit_member", frozenset({UNIT_B})),
        Person(30, "department_head", frozenset()),  # heads no unit: never a unit's head
    ]
)


async def test_a_ticket_for_a_whole_unit_goes_to_every_member_but_the_actor() -> None:
    got = await ticket_created(DIRECTORY, actor_id=12, unit_id=UNIT_A, assignee_ids=[])
    assert got == {10, 11, 13}


async def test_a_ticket_for_people_goes_to_them_and_the_heads_of_each_of_their_units() -> None:
    got = await ticket_created(DIRECTORY, actor_id=99, unit_id=UNIT_A, assignee_ids=[21])
    assert got == {21, 20}
    got = await ticket_created(DIRECTORY, actor_id=99, unit_id=UNIT_A, assignee_ids=[13])
    assert got == {13, 10, 11, 20}


async def test_the_actor_is_not_told_of_his_own_ticket_even_as_a_head() -> None:
    got = await ticket_created(DIRECTORY, actor_id=20, unit_id=UNIT_B, assignee_ids=[21])
    assert got == {21}
