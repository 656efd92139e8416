"""A user's web pop-ups: listed newest first, marked read."""

from __future__ import annotations

from helpdesk_kit.db import Database
from helpdesk_notify import store
from helpdesk_notify.errors import NotificationNotFound
from helpdesk_notify.store import Popup


async def list_popups(*, db: Database, user_id: int, limit: int, before_id: int | None) -> list[Popup]:
    async with db.unit_of_work() as uow:
        return await store.popups_of(uow.conn, user_id, limit=min(max(limit, 1), 200), before_id=before_id)


async def mark_read(*, db: Database, user_id: int, popup_id: int) -> None:
    async with db.unit_of_work() as uow:
        if not await store.mark_read(uow.conn, user_id, popup_id):
            raise NotificationNotFound()
        await uow.commit()
