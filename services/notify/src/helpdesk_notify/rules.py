"""Who is told what: the table of docs/product/notifications.md § Who is told, one function
per row. No framework imports.

| event                                   | function            |
|-----------------------------------------|---------------------|
| ticket created                          | ``ticket_created``  |
| ticket forwarded                        | ``ticket_forwarded``|
| taken, released, completed              | ``ticket_handled``  |
| reopened                                | ``ticket_reopened`` |
| comment                                 | ``ticket_commented``|
| SLA warning, SLA breached               | ``sla_alert``       |
| portal comment                          | ``portal_comment``  |
| new portal post                         | ``portal_posted``   |
| portal status changed, official answer  | ``portal_post_changed``|
| mass mailing                            | ``mass_mailing``    |
| registration                            | ``registration``    |
| password recovery                       | ``password_recovery``|

The directory (unit members, unit heads, users by id) is asked through the
``Directory`` protocol, so the rules can be tested with an in-memory directory.
The actor never receives his own event (``actor_id`` 0 is the system).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

HEAD_ROLES = frozenset({"unit_head", "department_head"})


@dataclass(frozen=True)
class Person:
    id: int
    role: str | None
    unit_ids: frozenset[int]
    email: str = ""
    language: str = ""
    pushbullet: str = ""
    full_name: str = ""
    client_group_id: int | None = None


class Directory(Protocol):
    async def unit_members(self, unit_id: int) -> list[Person]: ...

    async def unit_heads(self, unit_ids: list[int]) -> list[Person]: ...

    async def people(self, ids: list[int]) -> list[Person]: ...

    async def client_group_members(self, client_group_id: int) -> list[Person]: ...

    async def staff(self) -> list[Person]: ...


def _not_actor(ids: Iterable[int], actor_id: int) -> set[int]:
    return {i for i in ids if i and i != actor_id}


async def heads_of_units(directory: Directory, unit_ids: Iterable[int]) -> set[int]:
    """A unit's heads are its unit heads and the department heads who are members of it."""
    units = sorted({u for u in unit_ids if u})
    if not units:
        return set()
    return {p.id for p in await directory.unit_heads(units)}


async def assigned(directory: Directory, *, unit_id: int, assignee_ids: list[int]) -> set[int]:
    """A unit as a whole → all its members; people → them and the heads of each of their units."""
    if not assignee_ids:
        return {p.id for p in await directory.unit_members(unit_id)} if unit_id else set()
    people = await directory.people(assignee_ids)
    their_units = {u for p in people for u in p.unit_ids}
    return set(assignee_ids) | await heads_of_units(directory, their_units)


async def handler(directory: Directory, *, locked_by: int, unit_id: int, assignee_ids: list[int]) -> set[int]:
    """Whoever has the ticket in work; else its assignees; else the members of its unit."""
    if locked_by:
        return {locked_by}
    if assignee_ids:
        return set(assignee_ids)
    return {p.id for p in await directory.unit_members(unit_id)} if unit_id else set()


async def ticket_created(
    directory: Directory, *, actor_id: int, unit_id: int, assignee_ids: list[int]
) -> set[int]:
    """Row "ticket created"."""
    return _not_actor(await assigned(directory, unit_id=unit_id, assignee_ids=assignee_ids), actor_id)


async def ticket_forwarded(
    directory: Directory, *, actor_id: int, unit_id: int, assignee_ids: list[int]
) -> set[int]:
    """Row "ticket forwarded": the new assignees, by the same rule as created."""
    return _not_actor(await assigned(directory, unit_id=unit_id, assignee_ids=assignee_ids), actor_id)


async def ticket_handled(
    directory: Directory, *, actor_id: int, actor_unit_ids: list[int], author_id: int
) -> set[int]:
    """Row "taken, released, completed, reopened": the heads of the actor's units, and the author."""
    heads = await heads_of_units(directory, actor_unit_ids)
    return _not_actor(heads | {author_id}, actor_id)


async def ticket_reopened(
    directory: Directory, *, actor_id: int, actor_unit_ids: list[int], author_id: int, locked_by: int
) -> set[int]:
    """Row "reopened": as taken, released, completed, and the one it goes back to (in work by
    whoever finished it)."""
    handled = await ticket_handled(
        directory, actor_id=actor_id, actor_unit_ids=actor_unit_ids, author_id=author_id
    )
    return handled | _not_actor({locked_by}, actor_id)


async def staff_only(directory: Directory, recipients: set[int]) -> set[int]:
    """The recipients who are staff: an internal note is never told to a client."""
    if not recipients:
        return set()
    return {p.id for p in await directory.people(sorted(recipients)) if p.role is not None}


async def ticket_commented(
    directory: Directory,
    *,
    actor_id: int,
    actor_unit_ids: list[int],
    author_id: int,
    previous_commenter_ids: list[int],
    locked_by: int,
    unit_id: int,
    assignee_ids: list[int],
) -> set[int]:
    """Row "comment": heads of the commenter's units, the author, earlier commenters, the handler."""
    heads = await heads_of_units(directory, actor_unit_ids)
    handling = await handler(directory, locked_by=locked_by, unit_id=unit_id, assignee_ids=assignee_ids)
    return _not_actor(heads | {author_id} | set(previous_commenter_ids) | handling, actor_id)


async def sla_alert(directory: Directory, *, unit_id: int, assignee_ids: list[int]) -> set[int]:
    """Row "SLA warning, SLA breached": the heads of the ticket's unit and its assignees."""
    return _not_actor(await heads_of_units(directory, [unit_id]) | set(assignee_ids), 0)


def portal_comment(*, actor_id: int, post_author_id: int, previous_commenter_ids: list[int]) -> set[int]:
    """Row "portal comment": everyone who commented on the post before, and its author."""
    return _not_actor({post_author_id, *previous_commenter_ids}, actor_id)


def portal_posted(*, actor_id: int, chosen_ids: list[int]) -> set[int]:
    """Row "new portal post": the staff the portal's settings name (as they were when posted)."""
    return _not_actor(chosen_ids, actor_id)


def portal_post_changed(*, actor_id: int, post_author_id: int) -> set[int]:
    """Row "portal status changed, official answer": the post's author."""
    return _not_actor({post_author_id}, actor_id)


async def mass_mailing(
    directory: Directory,
    *,
    actor_id: int,
    user_ids: list[int],
    unit_ids: list[int],
    roles: list[str],
    client_group_ids: list[int] | None = None,
) -> set[int]:
    """Row "mass mailing": the users the admin picked — explicitly, by unit, by client group, by role.

    ``unit_ids`` picks the members of those units, narrowed to ``roles`` when given;
    ``roles`` without units picks every active staff member with one of those roles;
    ``client_group_ids`` picks the clients of those groups. The admin is the actor,
    so by the table's rule he is not mailed his own mailing.
    """
    picked = set(user_ids)
    wanted_roles = set(roles)
    for unit_id in sorted(set(unit_ids)):
        members = await directory.unit_members(unit_id)
        picked |= {p.id for p in members if not wanted_roles or p.role in wanted_roles}
    if wanted_roles and not unit_ids:
        picked |= {p.id for p in await directory.staff() if p.role in wanted_roles}
    for group_id in sorted(set(client_group_ids or [])):
        picked |= {p.id for p in await directory.client_group_members(group_id)}
    return _not_actor(picked, actor_id)


def registration(*, user_id: int) -> set[int]:
    """Row "registration": the new user (the confirmation link)."""
    return {user_id}


def password_recovery(*, user_id: int) -> set[int]:
    """Row "password recovery": the user (the one-time link)."""
    return {user_id}
