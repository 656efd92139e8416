"""Custom fields: admins define them; everyone reads those they may see."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_tickets import fields, store
from helpdesk_tickets.domain import Actor
from helpdesk_tickets.errors import FieldNotFound, NotAllowed
from helpdesk_tickets.usecases.caches import FieldsCache


def _admin(actor: Actor) -> None:
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage custom fields.")


async def list_custom_fields(*, db: Database, actor: Actor) -> list[fields.CustomField]:
    async with db.unit_of_work() as uow:
        found = await store.custom_fields(uow.conn)
    return [f for f in found if f.client_visible or not actor.is_client]


async def create_custom_field(
    *, db: Database, actor: Actor, field: fields.CustomField, cache: FieldsCache | None = None
) -> fields.CustomField:
    _admin(actor)
    checked = field.checked()
    async with db.unit_of_work() as uow:
        saved = await store.insert_custom_field(uow.conn, checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return saved


async def update_custom_field(
    *,
    db: Database,
    actor: Actor,
    field_id: int,
    changes_: dict[str, Any],
    cache: FieldsCache | None = None,
) -> fields.CustomField:
    """``changes_`` holds any of name, kind, options, required, client_visible, position."""
    _admin(actor)
    async with db.unit_of_work() as uow:
        current = await store.custom_field_for_update(uow.conn, field_id)
        if current is None:
            raise FieldNotFound()
        if "options" in changes_:
            changes_ = {**changes_, "options": tuple(changes_["options"])}
        checked = replace(current, **changes_).checked()
        saved = await store.save_custom_field(uow.conn, checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return saved


async def delete_custom_field(
    *, db: Database, actor: Actor, field_id: int, cache: FieldsCache | None = None
) -> None:
    _admin(actor)
    async with db.unit_of_work() as uow:
        if not await store.delete_custom_field(uow.conn, field_id):
            raise FieldNotFound()
        await uow.commit()
    if cache is not None:
        cache.forget()
