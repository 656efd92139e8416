"""Canned responses and saved list views: a person's own, or shared with a unit by its heads.

Staff read their own and those of their units (department heads: every unit's);
clients keep views of their own and have no canned responses.
"""

from __future__ import annotations

import asyncpg

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor, CannedResponse, SavedView, may_share_with, shared_units
from helpdesk_tickets.errors import InvalidTicket, NotAllowed, ShortcutNotFound

MAX_TITLE = 200
MAX_CANNED_BODY = 50_000
MAX_VIEW_QUERY = 2_000


def _check_text(name: str, value: str, limit: int) -> list[FieldError]:
    if not value.strip() or len(value) > limit:
        return [FieldError(name, f"between 1 and {limit} characters", code="length", params={"max": limit})]
    return []


def _staff_only(actor: Actor) -> None:
    if actor.is_client:
        raise NotAllowed("Canned responses are for staff.")


def _check_share(actor: Actor, unit_id: int | None) -> None:
    if unit_id and not may_share_with(actor, unit_id):
        raise NotAllowed("Only the unit's heads and admins share with a unit.", key="shortcut.share")


async def list_canned(*, db: Database, actor: Actor) -> list[CannedResponse]:
    _staff_only(actor)
    async with db.unit_of_work() as uow:
        return await store.canned_responses(uow.conn, actor.user_id, shared_units(actor))


async def create_canned(
    *, db: Database, actor: Actor, title: str, body: str, unit_id: int | None
) -> CannedResponse:
    _staff_only(actor)
    errors = _check_text("title", title, MAX_TITLE) + _check_text("body", body, MAX_CANNED_BODY)
    if errors:
        raise InvalidTicket("The canned response is not valid.", errors=errors)
    _check_share(actor, unit_id)
    async with db.unit_of_work() as uow:
        made = await store.insert_canned(
            uow.conn,
            owner_id=None if unit_id else actor.user_id,
            unit_id=unit_id,
            title=title.strip(),
            body=body,
        )
        await uow.commit()
    return made


async def _own_canned(conn: asyncpg.Connection, actor: Actor, canned_id: int) -> CannedResponse:
    """The response if the actor may change it: his own, or shared with a unit he heads."""
    found = await store.canned_by_id(conn, canned_id)
    visible = found is not None and (
        found.owner_id == actor.user_id
        or (found.unit_id is not None and may_share_with(actor, found.unit_id))
    )
    if found is None or not visible:
        raise ShortcutNotFound()
    return found


async def update_canned(
    *, db: Database, actor: Actor, canned_id: int, title: str, body: str
) -> CannedResponse:
    _staff_only(actor)
    errors = _check_text("title", title, MAX_TITLE) + _check_text("body", body, MAX_CANNED_BODY)
    if errors:
        raise InvalidTicket("The canned response is not valid.", errors=errors)
    async with db.unit_of_work() as uow:
        await _own_canned(uow.conn, actor, canned_id)
        saved = await store.update_canned(uow.conn, canned_id, title.strip(), body)
        await uow.commit()
    return saved


async def delete_canned(*, db: Database, actor: Actor, canned_id: int) -> None:
    _staff_only(actor)
    async with db.unit_of_work() as uow:
        await _own_canned(uow.conn, actor, canned_id)
        await store.delete_canned(uow.conn, canned_id)
        await uow.commit()


async def list_views(*, db: Database, actor: Actor) -> list[SavedView]:
    async with db.unit_of_work() as uow:
        return await store.saved_views(uow.conn, actor.user_id, shared_units(actor))


async def create_view(*, db: Database, actor: Actor, name: str, query: str, unit_id: int | None) -> SavedView:
    errors = _check_text("name", name, MAX_TITLE) + _check_text("query", query, MAX_VIEW_QUERY)
    if errors:
        raise InvalidTicket("The view is not valid.", errors=errors)
    _check_share(actor, unit_id)
    async with db.unit_of_work() as uow:
        made = await store.insert_view(
            uow.conn, owner_id=actor.user_id, unit_id=unit_id, name=name.strip(), query=query.lstrip("?")
        )
        await uow.commit()
    return made


async def delete_view(*, db: Database, actor: Actor, view_id: int) -> None:
    """The owner deletes his view; a shared one, also the unit's heads."""
    async with db.unit_of_work() as uow:
        found = await store.view_by_id(uow.conn, view_id)
        if found is None or not (
            found.owner_id == actor.user_id
            or (found.unit_id is not None and may_share_with(actor, found.unit_id))
        ):
            raise ShortcutNotFound("No such view.")
        await store.delete_view(uow.conn, view_id)
        await uow.commit()
