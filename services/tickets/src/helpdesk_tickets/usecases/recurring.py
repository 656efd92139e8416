"""Recurring tickets: staff set up a ticket that files itself on a schedule."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_tickets import events, store
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Schedule, Ticket, is_staff
from helpdesk_tickets.errors import NotAllowed, RecurringNotFound


def _schedule_json(s: Schedule) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "at": s.at.isoformat(),
        "start": s.start.isoformat(),
        "end": s.end.isoformat() if s.end else None,
        "every_days": s.every_days,
        "weekdays": sorted(s.weekdays),
        "month_days": sorted(s.month_days),
        "time_zone": s.time_zone,
    }


def _schedule_from(d: dict[str, Any]) -> Schedule:
    return Schedule(
        kind=d["kind"],
        at=dt_time.fromisoformat(d["at"]),
        start=date.fromisoformat(d["start"]),
        end=date.fromisoformat(d["end"]) if d["end"] else None,
        every_days=d["every_days"],
        weekdays=frozenset(d["weekdays"]),
        month_days=frozenset(d["month_days"]),
        time_zone=d["time_zone"],
    )


def _actor_json(a: Actor) -> dict[str, Any]:
    return {
        "user_id": a.user_id,
        "is_client": a.is_client,
        "role": a.role.value if a.role else None,
        "unit_ids": sorted(a.unit_ids),
        "is_admin": a.is_admin,
        "client_group_id": a.client_group_id,
        "is_client_group_lead": a.is_client_group_lead,
    }


def _actor_from(d: dict[str, Any]) -> Actor:
    return Actor(
        user_id=d["user_id"],
        is_client=d["is_client"],
        role=Role(d["role"]) if d["role"] else None,
        unit_ids=frozenset(d["unit_ids"]),
        is_admin=d["is_admin"],
        client_group_id=d["client_group_id"],
        is_client_group_lead=d["is_client_group_lead"],
    )


async def create_recurring(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    template: NewTicket,
    schedule: Schedule,
    now: datetime,
) -> tuple[int, datetime | None]:
    """Staff set up a ticket that files itself on a schedule; returns its id and first run."""
    if not is_staff(actor):
        raise NotAllowed("Only staff set up recurring tickets.")
    template = template.checked(actor=actor, known_units=await units.known(template.unit_id))
    schedule = schedule.checked()
    first = schedule.next_after(now)
    async with db.unit_of_work() as uow:
        recurring_id = await store.insert_recurring(
            uow.conn,
            author=_actor_json(actor),
            template={
                "subject": template.subject,
                "body": template.body,
                "priority": template.priority.value,
                "unit_id": template.unit_id,
                "assignee_ids": template.assignee_ids,
                "client_id": template.client_id,
            },
            schedule=_schedule_json(schedule),
            next_run_at=first,
        )
        await uow.commit()
    return recurring_id, first


async def run_recurring(*, db: Database, now: datetime, batch: int = 100) -> list[Ticket]:
    """Files every due recurring ticket once; safe on several replicas (SKIP LOCKED).
    Missed runs (the service was down) are not replayed: the next run is after ``now``."""
    made: list[Ticket] = []
    while True:
        async with db.unit_of_work() as uow:
            due = await store.due_recurring(uow.conn, now=now, limit=batch)
            for row in due:
                actor = _actor_from(row["author"])
                tpl = row["template"]
                new = NewTicket(
                    subject=tpl["subject"],
                    body=tpl["body"],
                    priority=Priority(tpl["priority"]),
                    unit_id=tpl["unit_id"],
                    assignee_ids=tpl["assignee_ids"],
                    client_id=tpl["client_id"],
                    source="recurring",
                )
                ticket = await store.insert_ticket(
                    uow.conn,
                    new,
                    store.NewRow(
                        ref=secrets.token_urlsafe(16),
                        author_id=actor.user_id,
                        author_unit_ids=sorted(actor.unit_ids),
                        client_group_id=None,
                    ),
                )
                await uow.record_event(*events.ticket_created(ticket, actor))
                await store.set_next_run(uow.conn, row["id"], _schedule_from(row["schedule"]).next_after(now))
                made.append(ticket)
            await uow.commit()
        if len(due) < batch:
            return made


def _recurring_owner(actor: Actor, row: dict[str, Any]) -> bool:
    return actor.is_admin or row["author"]["user_id"] == actor.user_id


async def list_recurring(*, db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Admins see every recurring ticket, staff the ones they set up, clients none (403)."""
    if not is_staff(actor) and not (actor.is_admin and not actor.is_client):
        raise NotAllowed("Only staff have recurring tickets.")
    async with db.unit_of_work() as uow:
        return await store.recurring_list(uow.conn, None if actor.is_admin else actor.user_id)


async def _recurring_to_change(uow: UnitOfWork, actor: Actor, recurring_id: int) -> dict[str, Any]:
    if actor.is_client:
        raise NotAllowed("Only staff have recurring tickets.")
    row = await store.recurring_for_update(uow.conn, recurring_id)
    if row is None or not _recurring_owner(actor, row):
        raise RecurringNotFound()
    return row


async def set_recurring_active(
    *, db: Database, actor: Actor, recurring_id: int, active: bool, now: datetime
) -> dict[str, Any]:
    """Pause (no runs) or resume (next run after ``now``; paused runs are not replayed)."""
    async with db.unit_of_work() as uow:
        row = await _recurring_to_change(uow, actor, recurring_id)
        if row["active"] == active:
            return row
        next_run = _schedule_from(row["schedule"]).next_after(now) if active else row["next_run_at"]
        saved = await store.set_recurring_active(uow.conn, recurring_id, active, next_run)
        await uow.commit()
    return saved


async def delete_recurring(*, db: Database, actor: Actor, recurring_id: int) -> None:
    async with db.unit_of_work() as uow:
        await _recurring_to_change(uow, actor, recurring_id)
        await store.delete_recurring(uow.conn, recurring_id)
        await uow.commit()
