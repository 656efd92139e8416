"""The sockets open on this replica, by user, each with a bounded send queue.

Every replica receives every event and delivers it to its own sockets of the
event's user, so a user's browsers may sit on any replicas. A socket whose queue
is full (a slow client) loses further events and is sent one ``resync`` instead,
so it can never hold up the others.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from prometheus_client import Gauge

CONNECTIONS = Gauge("realtime_connections", "Open WebSockets on this replica")

Send = Callable[[str], Awaitable[None]]


class Connection:
    def __init__(self, user_id: int, send: Send, queue_size: int) -> None:
        self.user_id = user_id
        self._send = send
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._overflowed = False

    def offer(self, text: str) -> None:
        if self._overflowed:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self._overflowed = True

    async def pump(self) -> None:
        """Sends queued events until cancelled; after an overflow, one resync."""
        while True:
            text = await self._queue.get()
            await self._send(text)
            if self._overflowed and self._queue.empty():
                self._overflowed = False
                await self._send(orjson.dumps({"type": "resync"}).decode())


class Hub:
    def __init__(self, *, queue_size: int) -> None:
        self._by_user: dict[int, set[Connection]] = defaultdict(set)
        self._queue_size = queue_size

    def open(self, user_id: int, send: Send) -> Connection:
        conn = Connection(user_id, send, self._queue_size)
        self._by_user[user_id].add(conn)
        CONNECTIONS.inc()
        return conn

    def close(self, conn: Connection) -> None:
        sockets = self._by_user.get(conn.user_id)
        if sockets and conn in sockets:
            sockets.discard(conn)
            CONNECTIONS.dec()
            if not sockets:
                del self._by_user[conn.user_id]

    def deliver(self, user_id: int, event: dict[str, Any]) -> int:
        sockets = self._by_user.get(user_id, ())
        if sockets:
            text = orjson.dumps(event).decode()
            for conn in sockets:
                conn.offer(text)
        return len(sockets)
