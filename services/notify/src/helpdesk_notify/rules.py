"""Who is told what: SPEC §4's table, one function per row. No framework imports.

The directory (unit members, users by id) is asked through the ``Directory``
protocol, so the rules can be tested with an in-memory directory.
The actor never receives his own event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

HEAD_ROLES = frozenset({"unit_head", "department_head"})


@dataclass(frozen=True)
class Person:
    id: int
    role: str | None
    unit_ids: frozenset[int]


class Directory(Protocol):
    async def unit_members(self, unit_id: int) -> list[Person]: ...

    async def people(self, ids: list[int]) -> list[Person]: ...


async def heads_of_units(directory: Directory, unit_ids: set[int]) -> set[int]:
    """A unit's heads are its unit heads and the department heads who are members of it."""
    heads: set[int] = set()
    for unit_id in sorted(unit_ids):
        heads |= {p.id for p in await directory.unit_members(unit_id) if p.role in HEAD_ROLES}
    return heads


async def assigned(directory: Directory, *, unit_id: int, assignee_ids: list[int]) -> set[int]:
    """Row "ticket created": a unit as a whole → all its members; people → them and their heads."""
    if not assignee_ids:
        return {p.id for p in await directory.unit_members(unit_id)}
    people = await directory.people(assignee_ids)
    their_units = {u for p in people for u in p.unit_ids}
    return set(assignee_ids) | await heads_of_units(directory, their_units)


async def ticket_created(
    directory: Directory, *, actor_id: int, unit_id: int, assignee_ids: list[int]
) -> set[int]:
    return await assigned(directory, unit_id=unit_id, assignee_ids=assignee_ids) - {actor_id}
