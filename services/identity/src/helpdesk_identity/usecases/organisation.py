"""The organisation admins shape: units, client groups (with their leads) and positions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from helpdesk_identity import store
from helpdesk_identity.domain import Kind, User
from helpdesk_identity.usecases.checks import require_admin
from helpdesk_identity.usecases.revocations import announce_changed_ids
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError, InvalidInput, NotFound


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise InvalidInput(
            "The name is not valid.", errors=[FieldError("name", "1-200 characters on one line")]
        )
    return name


async def _rename(
    db: Database, rename: Callable[[Any, int, str], Awaitable[bool]], what: str, thing_id: int, name: str
) -> tuple[int, str]:
    """A unit or position gets a new name: free and 1-200 characters, else 422; 404 if gone."""
    name = _name(name)
    async with db.unit_of_work() as uow:
        try:
            found = await rename(uow.conn, thing_id, name)
        except asyncpg.UniqueViolationError:
            raise InvalidInput(f"The {what} exists.", errors=[FieldError("name", "already taken")]) from None
        if not found:
            raise NotFound(f"No such {what}.")
        await uow.commit()
    return thing_id, name


async def update_unit(*, db: Database, actor: User, unit_id: int, name: str) -> tuple[int, str]:
    require_admin(actor, "units")
    return await _rename(db, store.update_unit, "unit", unit_id, name)


async def create_client_group(
    *, db: Database, actor: User, name: str, lead_id: int | None
) -> tuple[int, str, int | None]:
    """A client group; its lead (a client) joins it as the lead."""
    require_admin(actor, "client groups")
    name = _name(name)
    async with db.unit_of_work() as uow:
        lead = (await store.users_by_ids(uow.conn, [lead_id]))[0:1] if lead_id else []
        if lead_id and (not lead or lead[0].kind is not Kind.CLIENT):
            raise InvalidInput("The lead is not a client.", errors=[FieldError("lead_id", "no such client")])
        group_id = await store.insert_client_group(uow.conn, name, lead_id)
        if group_id is None:
            raise InvalidInput("The client group exists.", errors=[FieldError("name", "already taken")])
        if lead:
            changed = lead[0].as_new().with_changes(client_group_id=group_id, is_client_group_lead=True)
            await store.update_user(uow.conn, lead[0].id, changed, lead[0].is_active)
            await announce_changed_ids(uow, [lead[0].id])
        await uow.commit()
    return group_id, name, lead_id


async def _create(
    db: Database, insert: Callable[[Any, str], Awaitable[int | None]], what: str, name: str
) -> tuple[int, str]:
    """A new unit or position: a free name of 1-200 characters, else 422."""
    name = _name(name)
    async with db.unit_of_work() as uow:
        new_id = await insert(uow.conn, name)
        if new_id is None:
            raise InvalidInput(f"The {what} exists.", errors=[FieldError("name", "already taken")])
        await uow.commit()
    return new_id, name


async def create_position(*, db: Database, actor: User, name: str) -> tuple[int, str]:
    require_admin(actor, "positions")
    return await _create(db, store.insert_position, "position", name)


async def update_client_group(
    *, db: Database, actor: User, group_id: int, name: str | None, lead_id: int | None, clear_lead: bool
) -> tuple[int, str, int | None]:
    """Renames a client group or changes its lead (a client, who joins the group as its lead)."""
    require_admin(actor, "client groups")
    async with db.unit_of_work() as uow:
        group = await store.client_group(uow.conn, group_id)
        if group is None:
            raise NotFound("No such client group.")
        new_name = _name(name) if name else group[1]
        new_lead = None if clear_lead else (lead_id or group[2])
        if lead_id and not clear_lead:
            lead = await store.users_by_ids(uow.conn, [lead_id])
            if not lead or lead[0].kind is not Kind.CLIENT:
                raise InvalidInput(
                    "The lead is not a client.", errors=[FieldError("lead_id", "no such client")]
                )
        try:
            await store.update_client_group(uow.conn, group_id, new_name, new_lead)
        except asyncpg.UniqueViolationError:
            raise InvalidInput(
                "The client group exists.", errors=[FieldError("name", "already taken")]
            ) from None
        if new_lead != group[2]:
            await announce_changed_ids(uow, await store.set_client_group_lead(uow.conn, group_id, new_lead))
        await uow.commit()
    return group_id, new_name, new_lead


async def delete_client_group(*, db: Database, actor: User, group_id: int) -> None:
    """Its clients stay, without a group (and without the lead flag)."""
    require_admin(actor, "client groups")
    async with db.unit_of_work() as uow:
        members = await store.delete_client_group(uow.conn, group_id)
        if members is None:
            raise NotFound("No such client group.")
        await announce_changed_ids(uow, members)
        await uow.commit()


async def update_position(*, db: Database, actor: User, position_id: int, name: str) -> tuple[int, str]:
    require_admin(actor, "positions")
    return await _rename(db, store.update_position, "position", position_id, name)


async def delete_position(*, db: Database, actor: User, position_id: int) -> None:
    """Users holding the position keep their accounts, without a position."""
    require_admin(actor, "positions")
    async with db.unit_of_work() as uow:
        if not await store.delete_position(uow.conn, position_id):
            raise NotFound("No such position.")
        await uow.commit()


async def delete_unit(*, db: Database, actor: User, unit_id: int) -> None:
    """Only a unit nobody belongs to: move or remove its members first (409 otherwise)."""
    require_admin(actor, "units")
    async with db.unit_of_work() as uow:
        if await store.unit_has_members(uow.conn, unit_id):
            raise Conflict("The unit still has members: move them to another unit first.")
        if not await store.delete_unit(uow.conn, unit_id):
            raise NotFound("No such unit.")
        await uow.commit()


async def create_unit(*, db: Database, actor: User, name: str) -> tuple[int, str]:
    require_admin(actor, "units")
    return await _create(db, store.insert_unit, "unit", name)
