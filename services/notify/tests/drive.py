"""Drive notify as its consumers and workers would: events in, mails out."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf.message import Message

from helpdesk_kit.db import Database
from helpdesk_kit.inbox import Event, Route
from helpdesk_notify import usecases
from helpdesk_notify.domain import EMAIL
from helpdesk_notify.worker import ChannelWorker, RetryPolicy, smtp_session


async def consume(db: Database, routes: list[Route], message: Message, event_id: str | None = None) -> str:
    """Hands ``message`` to its route in a unit of work, as the kit's Consumer does."""
    by_type = {r.message_type.DESCRIPTOR.full_name: r for r in routes}
    route = by_type[message.DESCRIPTOR.full_name]
    eid = event_id or str(uuid.uuid4())
    event: Event[Any] = Event(id=eid, subject="", type=message.DESCRIPTOR.full_name, message=message)
    async with db.unit_of_work() as uow:
        await route.handler(uow, event)
        await uow.commit()
    return eid


async def use_smtp(db: Database, port: int, *, enabled: bool = True) -> None:
    await usecases.put_mail_settings(
        db=db,
        actor_is_admin=True,
        new=usecases.MailSettings(
            enabled=enabled,
            host="127.0.0.1",
            port=port,
            security="none",
            from_address="helpdesk@example.test",
            from_name="Helpdesk",
        ),
        set_password=True,
    )


def mail_worker(
    db: Database,
    per_transaction: int = 20,
    *,
    circuit_base_seconds: float = 0.02,
    circuit_cap_seconds: float = 0.1,
    **policy: Any,
) -> ChannelWorker:
    """A worker with short waits: backoff in hundredths of a second unless told otherwise."""
    return ChannelWorker(
        db=db,
        channel=EMAIL,
        session_factory=smtp_session,
        policy=RetryPolicy(**policy) if policy else RetryPolicy(base_seconds=0.01, cap_seconds=0.05),
        idle_seconds=0.02,
        per_transaction=per_transaction,
        circuit_base_seconds=circuit_base_seconds,
        circuit_cap_seconds=circuit_cap_seconds,
    )


async def drain(worker: ChannelWorker) -> None:
    while await worker.run_once():
        pass
