"""Notify's use cases: turn facts into pop-ups (and, later, mails and pushes)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.notify.v1 import events_pb2, notify_pb2

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import NotFound
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import subject
from helpdesk_notify import rules, store
from helpdesk_notify.store import Popup

log = get_logger(__name__)
SERVICE = "notify"


def popup_to_pb(p: Popup) -> notify_pb2.Notification:
    created = Timestamp()
    created.FromDatetime(p.created_at)
    return notify_pb2.Notification(
        id=p.id,
        user_id=p.user_id,
        event=p.event,
        title=p.title,
        body=p.body,
        ticket_id=p.ticket_id or 0,
        created_at=created,
        is_read=p.is_read,
    )


async def notify_ticket_created(
    *,
    uow: UnitOfWork,
    directory: rules.Directory,
    event_id: str,
    actor_id: int,
    ticket_id: int,
    number: int,
    subject_line: str,
    unit_id: int,
    assignee_ids: list[int],
) -> list[Popup]:
    recipients = await rules.ticket_created(
        directory, actor_id=actor_id, unit_id=unit_id, assignee_ids=assignee_ids
    )
    popups = await store.insert_popups(
        uow.conn,
        user_ids=sorted(recipients),
        source_event_id=event_id,
        event="ticket.created",
        title=f"Ticket #{number} — created",
        body=subject_line,
        ticket_id=ticket_id,
    )
    for popup in popups:
        await uow.record_event(
            subject(SERVICE, "NotificationCreated"),
            events_pb2.NotificationCreated(notification=popup_to_pb(popup)),
        )
    log.debug("notify.popups", ticket_id=ticket_id, recipients=len(popups))
    return popups


async def list_popups(*, db: Database, user_id: int, limit: int, before_id: int | None) -> list[Popup]:
    async with db.unit_of_work() as uow:
        return await store.popups_of(uow.conn, user_id, limit=min(max(limit, 1), 200), before_id=before_id)


async def mark_read(*, db: Database, user_id: int, popup_id: int) -> None:
    async with db.unit_of_work() as uow:
        if not await store.mark_read(uow.conn, user_id, popup_id):
            raise NotFound("No such notification.")
        await uow.commit()
