"""Lookups other services and the gateway make: users, unit members and heads, units,
positions, client groups."""

from __future__ import annotations

from helpdesk_identity import store
from helpdesk_identity.domain import User
from helpdesk_kit.db import Database


async def get_users(*, db: Database, ids: list[int]) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.users_by_ids(uow.conn, ids)


async def unit_members(*, db: Database, unit_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.unit_members(uow.conn, unit_id)


async def unit_heads(*, db: Database, unit_ids: list[int]) -> list[User]:
    """The heads of these units: their unit heads and the department heads who are members."""
    async with db.unit_of_work() as uow:
        return await store.unit_heads(uow.conn, unit_ids)


async def list_client_groups(*, db: Database) -> list[tuple[int, str, int | None]]:
    async with db.unit_of_work() as uow:
        return await store.all_client_groups(uow.conn)


async def client_group_members(*, db: Database, group_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.client_group_members(uow.conn, group_id)


async def list_positions(*, db: Database) -> list[tuple[int, str]]:
    async with db.unit_of_work() as uow:
        return await store.all_positions(uow.conn)


async def heads_of_user(*, db: Database, user_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.heads_of_user(uow.conn, user_id)


async def list_units(*, db: Database) -> list[tuple[int, str]]:
    async with db.unit_of_work() as uow:
        return await store.all_units(uow.conn)


async def actor_by_id(*, db: Database, user_id: int) -> User | None:
    users = await get_users(db=db, ids=[user_id])
    return users[0] if users and users[0].is_active else None
