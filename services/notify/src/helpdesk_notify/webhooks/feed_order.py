"""Keeps the events feed's positions in commit order (``store.order_events``).

Events are inserted by several consumers at once; an event's ``seq`` is taken when it is
inserted, but it becomes visible when its transaction commits, possibly after a later
``seq``. A reader paging by ``seq`` would then pass an event he has not seen yet. So the
feed pages by ``position``, given here, a moment after commit, by one replica at a time:
what this loop has not ordered yet is not shown, and nothing is ever shown behind a
position already shown.
"""

from __future__ import annotations

import asyncio
import contextlib

from helpdesk_kit.db import Database
from helpdesk_notify.webhooks import store

BATCH = 1000


async def order_once(db: Database) -> int:
    async with db.unit_of_work() as uow:
        done = await store.order_events(uow.conn, BATCH)
        await uow.commit()
    return done


async def keep_in_order(db: Database, stopping: asyncio.Event, every: float) -> None:
    """Orders new events every ``every`` seconds (at once again while a batch was full)
    until ``stopping``; transient failures end the call (run it under ``supervise``)."""
    while not stopping.is_set():
        if await order_once(db) < BATCH:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=every)
