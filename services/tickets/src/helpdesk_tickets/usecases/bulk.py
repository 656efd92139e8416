"""One action on many tickets: each ticket judged and changed on its own (its own
transaction, the same rules as one by one), and a summary of what was refused and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, FieldError
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, Priority
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.usecases.caches import SettingsCache
from helpdesk_tickets.usecases.lifecycle import Edit, complete, edit, forward, release, take

BULK_ACTIONS = ("lock", "unlock", "complete", "forward", "priority")
MAX_BULK = 200


@dataclass(frozen=True)
class Refusal:
    ticket_id: int
    code: str  # the error's stable code: not_found, forbidden, conflict, invalid...
    detail: str


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


async def bulk(
    *,
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    action: str,
    ticket_ids: list[int],
    priority: Priority | None = None,
    unit_id: int | None = None,
    assignee_ids: list[int] | None = None,
    settings: SettingsCache | None = None,
) -> BulkResult:
    errors = []
    if action not in BULK_ACTIONS:
        errors.append(FieldError("action", " or ".join(BULK_ACTIONS)))
    if not 1 <= len(set(ticket_ids)) <= MAX_BULK:
        errors.append(FieldError("ticket_ids", f"1 to {MAX_BULK} tickets", params={"max": MAX_BULK}))
    if action == "priority" and priority is None:
        errors.append(FieldError("priority", "low, normal or high"))
    if action == "forward" and not unit_id:
        errors.append(FieldError("unit_id", "the unit to forward to"))
    if errors:
        raise InvalidTicket("The bulk action is not valid.", errors=errors)
    result = BulkResult()
    for ticket_id in dict.fromkeys(ticket_ids):
        try:
            await _one(db, units, actor, action, ticket_id, priority, unit_id, assignee_ids or [], settings)
        except AppError as exc:
            result.refused.append(Refusal(ticket_id, exc.problem_code, exc.detail))
        else:
            result.done.append(ticket_id)
    return result


async def _one(
    db: Database,
    units: UnitDirectory,
    actor: Actor,
    action: str,
    ticket_id: int,
    priority: Priority | None,
    unit_id: int | None,
    assignee_ids: list[int],
    settings: SettingsCache | None,
) -> None:
    if action == "lock":
        await take(db=db, actor=actor, ticket_id=ticket_id)
    elif action == "unlock":
        await release(db=db, actor=actor, ticket_id=ticket_id)
    elif action == "complete":
        await complete(db=db, actor=actor, ticket_id=ticket_id)
    elif action == "forward":
        assert unit_id is not None
        await forward(
            db=db,
            units=units,
            actor=actor,
            ticket_id=ticket_id,
            unit_id=unit_id,
            assignee_ids=assignee_ids,
            settings=settings,
        )
    else:
        await edit(db=db, actor=actor, ticket_id=ticket_id, change=Edit(priority=priority), settings=settings)
