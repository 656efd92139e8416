"""The sla service's use cases."""

from __future__ import annotations

from datetime import datetime

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_sla import store
from helpdesk_sla.domain import Clock, start_clocks


async def start_ticket_clocks(*, uow: UnitOfWork, ticket_id: int, created_at: datetime) -> None:
    """Runs inside the consumer's unit of work, which also records the event as handled."""
    await store.insert_clocks(uow.conn, start_clocks(ticket_id=ticket_id, created_at=created_at))


async def clocks_of(*, db: Database, ticket_ids: list[int]) -> list[Clock]:
    async with db.unit_of_work() as uow:
        return await store.clocks_of(uow.conn, ticket_ids)
