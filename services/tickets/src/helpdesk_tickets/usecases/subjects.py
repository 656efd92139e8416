"""The subjects a ticket may be filed under: everyone reads them, admins change them."""

from __future__ import annotations

from typing import Any

import asyncpg

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor, Subject
from helpdesk_tickets.errors import InvalidTicket, NotAllowed, SubjectNotFound


async def list_subjects(*, db: Database) -> list[Subject]:
    async with db.unit_of_work() as uow:
        return await store.subjects(uow.conn)


async def create_subject(*, db: Database, actor: Actor, name: str, sla_plan_id: int | None) -> Subject:
    if not actor.is_admin:
        raise NotAllowed("Only admins manage subjects.")
    name = name.strip()
    if not name or len(name) > 255:
        raise InvalidTicket("The subject is not valid.", errors=[FieldError("name", "1 to 255 characters")])
    async with db.unit_of_work() as uow:
        subject = await store.insert_subject(uow.conn, name, sla_plan_id)
        if subject is None:
            raise InvalidTicket("The subject is not valid.", errors=[FieldError("name", "already exists")])
        await uow.commit()
    return subject


_UNSET: Any = object()


async def update_subject(
    *, db: Database, actor: Actor, subject_id: int, name: str | None, sla_plan_id: Any = _UNSET
) -> Subject:
    """Renames and/or sets the SLA plan (None = none) of a subject; tickets filed with it
    keep the text and plan they got then."""
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage subjects.")
    async with db.unit_of_work() as uow:
        current = await store.subject_by_id(uow.conn, subject_id)
        if current is None:
            raise SubjectNotFound()
        new_name = current.name if name is None else name.strip()
        if not new_name or len(new_name) > 255:
            raise InvalidTicket(
                "The subject is not valid.", errors=[FieldError("name", "1 to 255 characters")]
            )
        plan = current.sla_plan_id if sla_plan_id is _UNSET else sla_plan_id
        try:
            saved = await store.update_subject(uow.conn, subject_id, new_name, plan)
        except asyncpg.UniqueViolationError as exc:
            raise InvalidTicket(
                "The subject is not valid.", errors=[FieldError("name", "already exists")]
            ) from exc
        if saved is None:
            raise SubjectNotFound()
        await uow.commit()
    return saved


async def delete_subject(*, db: Database, actor: Actor, subject_id: int) -> None:
    if not actor.is_admin or actor.is_client:
        raise NotAllowed("Only admins manage subjects.")
    async with db.unit_of_work() as uow:
        if not await store.delete_subject(uow.conn, subject_id):
            raise SubjectNotFound()
        await uow.commit()
