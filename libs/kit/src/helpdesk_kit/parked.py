"""Parked events: what consumers gave up on (the ``dead_letters`` table), listed and replayed.

A replay hands the stored event to its consumer's handler again, in one transaction
that also goes through the inbox and marks the parked row replayed: it applies the
event once, or — when the inbox already has it — not at all. Replayed rows are no
longer listed nor replayed again (the second replay of an event finds nothing to do);
they stay a while to show what was replayed and when, then retention deletes them
(``helpdesk_kit.retention``). A replay that fails again leaves the event parked, with
the new reason and one more delivery counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from google.protobuf.message import DecodeError

from helpdesk_kit.db import Database
from helpdesk_kit.inbox import Consumer, Event
from helpdesk_kit.logs import get_logger

__all__ = ["Parked", "ParkedFilter", "ReplayResult", "list_parked", "replay_parked"]

log = get_logger(__name__)

#: At most this many parked events are replayed by one call (ask again for more).
REPLAY_LIMIT = 1000


@dataclass(frozen=True)
class Parked:
    id: int
    consumer: str
    event_id: str
    subject: str
    event_type: str
    error: str
    deliveries: int
    created_at: datetime


@dataclass(frozen=True)
class ParkedFilter:
    """Which parked events: by id, or by consumer and event type (empty = any)."""

    ids: tuple[int, ...] = ()
    consumer: str = ""
    event_type: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.ids or self.consumer or self.event_type)


@dataclass
class ReplayResult:
    replayed: list[int] = field(default_factory=list)  # applied now, or found already applied
    failed: list[tuple[int, str]] = field(default_factory=list)  # still parked, with the reason


_COLUMNS = "id, consumer, event_id, subject, event_type, error, deliveries, created_at"


def _where(f: ParkedFilter, first_arg: int) -> tuple[str, list[Any]]:
    n = first_arg
    sql = (
        f"replayed_at IS NULL AND (cardinality(${n}::bigint[]) = 0 OR id = ANY(${n}::bigint[]))"
        f" AND (${n + 1}::text = '' OR consumer = ${n + 1})"
        f" AND (${n + 2}::text = '' OR event_type = ${n + 2})"
    )
    return sql, [list(f.ids), f.consumer, f.event_type]


def _parked(r: asyncpg.Record) -> Parked:
    return Parked(
        r["id"],
        r["consumer"],
        r["event_id"],
        r["subject"],
        r["event_type"],
        r["error"],
        r["deliveries"],
        r["created_at"],
    )


async def list_parked(
    db: Database, *, where: ParkedFilter | None = None, limit: int = 50, before_id: int | None = None
) -> list[Parked]:
    """Newest first, ``limit`` at a time (``before_id``: the last id of the previous page)."""
    cond, args = _where(where or ParkedFilter(), 3)
    async with db.unit_of_work() as uow:
        rows = await uow.conn.fetch(
            f"SELECT {_COLUMNS} FROM dead_letters WHERE {cond} AND ($1::bigint IS NULL OR id < $1)"
            " ORDER BY id DESC LIMIT $2",
            before_id,
            min(max(limit, 1), 200),
            *args,
        )
    return [_parked(r) for r in rows]


async def replay_parked(
    db: Database, consumers: Mapping[str, Consumer], *, where: ParkedFilter
) -> ReplayResult:
    """Replays the parked events ``where`` picks, oldest first, each on its own."""
    cond, args = _where(where, 2)
    async with db.unit_of_work() as uow:
        ids = [
            r["id"]
            for r in await uow.conn.fetch(
                f"SELECT id FROM dead_letters WHERE {cond} ORDER BY id LIMIT $1", REPLAY_LIMIT, *args
            )
        ]
    result = ReplayResult()
    for parked_id in ids:
        error = await _replay_one(db, consumers, parked_id)
        if error is None:
            result.replayed.append(parked_id)
        else:
            result.failed.append((parked_id, error))
    log.info("parked.replayed", replayed=len(result.replayed), failed=len(result.failed))
    return result


async def _replay_one(db: Database, consumers: Mapping[str, Consumer], parked_id: int) -> str | None:
    """None when the event is applied (or was already) and no longer parked; else why not."""
    try:
        async with db.unit_of_work() as uow:
            row = await uow.conn.fetchrow(
                "SELECT consumer, event_id, subject, event_type, payload, headers::text AS headers"
                " FROM dead_letters WHERE id = $1 AND replayed_at IS NULL FOR UPDATE",
                parked_id,
            )
            if row is None:
                return None  # replayed meanwhile (by another call or replica): nothing to do
            consumer = consumers.get(row["consumer"])
            if consumer is None:
                return f"no consumer {row['consumer']!r} in this service"
            route = consumer.route(row["event_type"])
            event = Event(
                id=row["event_id"],
                subject=row["subject"],
                type=row["event_type"],
                message=route.message_type.FromString(bytes(row["payload"])),
                headers=orjson.loads(row["headers"]),
            )
            outcome = await consumer.apply(uow, event)
            await uow.conn.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", parked_id)
            await uow.commit()
    except (KeyError, DecodeError) as exc:
        reason = f"cannot replay: {exc!r}"
    # A replayed handler may fail any way the first run did; the event stays parked with why.
    except Exception as exc:  # noqa: BLE001
        reason = repr(exc)
    else:
        log.info("parked.replayed_one", parked_id=parked_id, consumer=consumer.name, outcome=outcome)
        return None
    async with db.unit_of_work() as uow:
        await uow.conn.execute(
            "UPDATE dead_letters SET error = $2, deliveries = deliveries + 1 WHERE id = $1",
            parked_id,
            f"replay failed: {reason}"[:2000],
        )
        await uow.commit()
    return reason
