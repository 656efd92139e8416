"""A consumer run as a process of its own, for the test that kills it with SIGKILL mid-batch.

``python consumer_process.py DATABASE_URL SCHEMA NATS_URL CONSUMER_NAME``: consumes the
schema's stream, writes one ``applied`` row per event inside the batch's transaction,
prints ``applied <text>`` after each and then lingers, so that the test can kill it
while a batch is half applied and not yet committed.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from google.protobuf.struct_pb2 import Value

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.streams import connect


async def apply_slowly(uow: UnitOfWork, event: Event[Any]) -> None:
    await uow.conn.execute("INSERT INTO applied (text) VALUES ($1)", event.message.string_value)
    sys.stdout.write(f"applied {event.message.string_value}\n")
    sys.stdout.flush()
    await asyncio.sleep(0.2)


async def main(database_url: str, schema: str, nats_url: str, name: str) -> None:
    nc = await connect(nats_url, name="killed-consumer")
    async with Database(database_url, schema=schema, pool_size=2) as db:
        consumer = Consumer(
            name=name,
            db=db,
            js=nc.jetstream(),
            source_service=schema,
            routes=[Route(Value, apply_slowly)],
            ack_wait=1.0,
        )
        await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
