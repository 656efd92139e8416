"""PostgreSQL access: a connection pool per service and the unit of work.

A service owns one schema; every connection's ``search_path`` points at it, so
tables are named without a schema. The unit of work is one transaction: the use
case's changes and the events it records (the outbox) commit together or not at all.

Runtime queries go through asyncpg: on the hot paths the ORM and even SQLAlchemy
Core cost more CPU than the rest of the request (docs/performance.md). SQLAlchemy
describes the tables and drives the Alembic migrations (``migrations.py``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import asyncpg
import orjson
from google.protobuf.message import Message

from helpdesk_kit.tracing import inject_headers, is_enabled

__all__ = [
    "Database",
    "UnitOfWork",
    "asyncpg_dsn",
    "fetchrow_with_events",
    "outbox_channel",
    "sqlalchemy_url",
]

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


def asyncpg_dsn(url: str) -> str:
    """Accepts SQLAlchemy-style URLs too (``postgresql+asyncpg://``)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+asyncpg://", url)


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes the relay when events are committed."""
    return f"{schema}_outbox"


async def _keep_session(conn: asyncpg.Connection) -> None:
    return None


class Database:
    """One service's pool of connections, all scoped to the service's schema."""

    def __init__(self, url: str, *, schema: str, pool_size: int = 10) -> None:
        if not _SCHEMA.match(schema):
            raise ValueError(f"bad schema name {schema!r}")
        self.url = url
        self.schema = schema
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        # Set by this process's outbox relay (OutboxRelay.events_committed): called after each
        # commit that wrote events, it wakes the relay here or tells the leading replica. A
        # process without a relay (a command) has the commit itself NOTIFY the leader instead.
        self.events_committed: Callable[[], None] | None = None

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(
            asyncpg_dsn(self.url),
            min_size=1,
            max_size=self._pool_size,
            server_settings={"search_path": self.schema, "application_name": self.schema},
            # asyncpg resets every connection on release (a round trip: unlock, CLOSE ALL,
            # UNLISTEN, RESET ALL). Pooled connections never keep session state here:
            # locks are transaction-scoped and LISTEN uses a dedicated connection.
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Database.connect() was not awaited")
        return self._pool

    async def ping(self) -> bool:
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError):
            return False
        return True

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    async def connection(self) -> asyncpg.Connection:
        """A dedicated connection outside the pool (LISTEN, session advisory locks)."""
        conn: asyncpg.Connection = await asyncpg.connect(
            asyncpg_dsn(self.url), server_settings={"search_path": self.schema}
        )
        return conn


_EventRow = tuple[uuid.UUID, str, str, bytes, str]


def _event_row(subject: str, message: Message) -> _EventRow:
    """An event as its outbox row: id, subject, type, payload and the trace context it carries."""
    return (
        uuid.uuid4(),
        subject,
        message.DESCRIPTOR.full_name,
        message.SerializeToString(),
        # Without tracing there is no context to carry (and none is looked for).
        orjson.dumps(inject_headers()).decode() if is_enabled() else "{}",
    )


def _outbox_insert(first: int) -> str:
    """INSERT of outbox rows from five arrays, parameters ``$first`` … ``$first+4``, in order."""
    a, b, c, d, e = (f"${first + i}" for i in range(5))
    return (
        " INSERT INTO outbox (msg_id, subject, event_type, payload, headers)"
        " SELECT m, s, t, p, h::jsonb"
        f" FROM unnest({a}::uuid[], {b}::text[], {c}::text[], {d}::bytea[], {e}::text[])"
        " WITH ORDINALITY AS r(m, s, t, p, h, n) ORDER BY n"
    )


async def fetchrow_with_events(
    db: Database, ctes: str, final: str, args: list[Any], events: list[tuple[str, Message]]
) -> asyncpg.Record | None:
    """One statement, ``WITH <ctes>, <the events' outbox rows> <final>``, in its own implicit
    transaction: a change that fits one statement commits with its events in one round trip
    (a unit of work costs BEGIN and COMMIT besides). ``ctes`` are the caller's named CTEs
    with parameters ``$1`` … ``$len(args)``; the relay is told after the commit, as after a
    unit of work's."""
    if not events:
        raise ValueError("fetchrow_with_events needs at least one event")
    columns = [list(column) for column in zip(*(_event_row(*e) for e in events), strict=True)]
    outbox = f"outbox_rows AS ({_outbox_insert(len(args) + 1)})"
    row: asyncpg.Record | None = await db.pool.fetchrow(f"WITH {ctes}, {outbox} {final}", *args, *columns)
    if db.events_committed is not None:
        db.events_committed()
    else:  # no relay in this process: tell the leader after the commit
        await db.pool.execute("SELECT pg_notify($1, '')", outbox_channel(db.schema))
    return row


class UnitOfWork:
    """One transaction. ``async with db.unit_of_work() as uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls back, so an exception anywhere
    undoes the change and its events alike.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Any = None
        self._tx: Any = None
        # Events recorded, written to the outbox in one statement just before the commit.
        self._events: list[_EventRow] = []
        self._after_commit: list[Callable[[], None]] = []

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("unit of work is not open")
        conn: asyncpg.Connection = self._conn
        return conn

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._db.pool.acquire()
        self._tx = self._conn.transaction()
        await self._tx.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None:
                await self._tx.rollback()
        finally:
            await self._db.pool.release(self._conn)
            self._conn = None
            self._tx = None

    async def commit(self) -> None:
        wake = self._db.events_committed if self._events else None
        if self._events:
            await self._write_events(notify=wake is None)
        await self._tx.commit()
        self._tx = None
        if wake is not None:
            wake()
        for callback in self._after_commit:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs ``callback`` once this unit of work has committed, never after a rollback
        (e.g. counting what it published: a rolled-back event was never announced)."""
        self._after_commit.append(callback)

    async def record_event(self, subject: str, message: Message) -> uuid.UUID:
        """Adds an event to the outbox, to be published once this transaction commits
        (the outbox rows are written by ``commit``, all of them in one statement).

        The current trace context travels with it, so the relay's publish and the
        consumers' handling join the trace of the request that caused the event.
        """
        row = _event_row(subject, message)
        self._events.append(row)
        return row[0]

    async def _write_events(self, *, notify: bool) -> None:
        """The recorded events in one statement, in the order recorded. With ``notify`` the
        relay's wake-up goes in the same round trip (delivered at commit, once); without, the
        process's own relay is told after the commit. A NOTIFY in the transaction takes a
        lock every notifying commit of the database queues for until it has flushed, so the
        hot paths leave it out (docs/adr/0014)."""
        msg_ids, subjects, types, payloads, headers = (
            list(column) for column in zip(*self._events, strict=True)
        )
        insert = _outbox_insert(1)
        if notify:
            await self.conn.execute(
                f"WITH e AS ({insert} RETURNING 1) SELECT pg_notify($6, '') FROM e LIMIT 1",
                msg_ids,
                subjects,
                types,
                payloads,
                headers,
                outbox_channel(self._db.schema),
            )
        else:
            await self.conn.execute(insert, msg_ids, subjects, types, payloads, headers)
        self._events.clear()
