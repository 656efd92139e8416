"""The sockets open on this replica, by user, each with a bounded send queue.

Every replica receives every event and delivers it to its own sockets that may
receive it, so a user's browsers may sit on any replicas. A socket whose queue
is full (a slow client) loses further events and is sent one ``resync`` instead,
so it can never hold up the others.

While a socket is being replayed what it missed (``resume_from``), live events
for it are held back and released afterwards, skipping any the replay already
sent: nothing twice, nothing lost.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

from helpdesk_realtime.domain import DEPARTMENT_HEAD, Audience, TicketAudience, Viewer, may_receive

CONNECTIONS = Gauge("realtime_connections", "Open WebSockets on this replica")
RESYNCS = Counter("realtime_resyncs_total", "Sockets told to resync (overflow or resume gap)")

Send = Callable[[str], Awaitable[None]]
RESYNC = orjson.dumps({"type": "resync"}).decode()
# Ids delivered to a socket are remembered (this many) so a late resume skips them.
_REMEMBERED_IDS = 4096


class Connection:
    def __init__(self, viewer: Viewer, send: Send, queue_size: int) -> None:
        self.id = uuid.uuid4().hex
        self.viewer = viewer
        self._send = send
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._queue_size = queue_size
        self._overflowed = False
        self._held: list[tuple[int, str]] | None = None
        self._sent_ids: set[int] = set()
        self.viewing: int | None = None  # the ticket this socket has open
        self.typing = False
        self.login = ""
        self.name = ""  # the full name from the token (presence shows it, not the login)
        self.session_id = ""  # the sign-in session of the token ("sid"); "" for none
        # A personal API token's socket: its id (identity's ApiTokenRevoked names it) and the
        # token itself, kept in memory only, to ask identity whether it still counts.
        self.api_token_id = 0
        self.api_token = ""
        self.kicked = asyncio.Event()  # set to close the socket (e.g. the user was disabled)
        self.kick_reason = ""

    def kick(self, reason: str) -> None:
        self.kick_reason = reason
        self.kicked.set()

    @property
    def user_id(self) -> int:
        return self.viewer.user_id

    def offer(self, text: str, event_id: int | None = None) -> None:
        if event_id is not None:
            if self._held is not None:
                if len(self._held) >= self._queue_size:
                    self._overflowed = True
                else:
                    self._held.append((event_id, text))
                return
            self._remember(event_id)
        self._put(text)

    def _put(self, text: str) -> None:
        if self._overflowed:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self._overflowed = True
            RESYNCS.inc()

    def _remember(self, event_id: int) -> None:
        if len(self._sent_ids) >= _REMEMBERED_IDS:
            self._sent_ids.clear()
        self._sent_ids.add(event_id)

    def hold(self) -> None:
        """Live events wait (bounded) until :meth:`release`: a replay is being read."""
        if self._held is None:
            self._held = []

    def release(self, replayed: Iterable[tuple[int, str]], *, incomplete: bool) -> int:
        """Sends the replayed events then the held ones, each id once; returns how many.

        ``incomplete``: part of what was missed is no longer kept, so the socket is
        told to ``resync`` (refetch through the REST API) before what is left.
        """
        held, self._held = self._held or [], None
        if self._overflowed and self._queue.empty():  # live events were dropped while held
            self._overflowed = False
            incomplete = True
        already = set(self._sent_ids)
        if incomplete:
            RESYNCS.inc()
            self._put(RESYNC)
        replayed_ids: set[int] = set()
        count = 0
        for event_id, text in replayed:
            if event_id not in already:
                replayed_ids.add(event_id)
                self._remember(event_id)
                self._put(text)
                count += 1
        for event_id, text in held:
            if event_id not in already and event_id not in replayed_ids:
                self._remember(event_id)
                self._put(text)
                count += 1
        return count

    async def pump(self) -> None:
        """Sends queued events until cancelled; after an overflow, one resync."""
        while True:
            text = await self._queue.get()
            await self._send(text)
            if self._overflowed and self._queue.empty():
                self._overflowed = False
                await self._send(RESYNC)


def encode(message: dict[str, Any], event_id: int | None) -> str:
    if event_id is not None:
        message = {**message, "event_id": event_id}
    return orjson.dumps(message).decode()


class Hub:
    def __init__(self, *, queue_size: int) -> None:
        self._by_user: dict[int, set[Connection]] = defaultdict(set)
        self._queue_size = queue_size
        self._arrived: set[int] = set()
        # Indexes, so that a ticket event looks at its candidates only, not every socket.
        self._by_unit: dict[int, set[Connection]] = defaultdict(set)
        self._department_heads: set[Connection] = set()
        self._group_leads: dict[int, set[Connection]] = defaultdict(set)
        self._by_ticket: dict[int, set[Connection]] = defaultdict(set)

    def take_arrived(self) -> set[int]:
        """Users who opened a socket since the last call (to be marked online soon)."""
        arrived, self._arrived = self._arrived, set()
        return arrived

    def open(self, viewer: Viewer | int, send: Send) -> Connection:
        if isinstance(viewer, int):
            viewer = Viewer(user_id=viewer, is_client=False, role=None, unit_ids=frozenset())
        conn = Connection(viewer, send, self._queue_size)
        self._by_user[conn.user_id].add(conn)
        self._arrived.add(conn.user_id)
        for unit_id in viewer.unit_ids:
            self._by_unit[unit_id].add(conn)
        if viewer.role == DEPARTMENT_HEAD and not viewer.is_client:
            self._department_heads.add(conn)
        if viewer.is_client_group_lead and viewer.client_group_id is not None:
            self._group_leads[viewer.client_group_id].add(conn)
        CONNECTIONS.inc()
        return conn

    def close(self, conn: Connection) -> None:
        sockets = self._by_user.get(conn.user_id)
        if sockets and conn in sockets:
            sockets.discard(conn)
            CONNECTIONS.dec()
            if not sockets:
                del self._by_user[conn.user_id]
            for unit_id in conn.viewer.unit_ids:
                _discard(self._by_unit, unit_id, conn)
            self._department_heads.discard(conn)
            if conn.viewer.client_group_id is not None:
                _discard(self._group_leads, conn.viewer.client_group_id, conn)
            self.view(conn, None)

    def view(self, conn: Connection, ticket_id: int | None) -> None:
        """The ticket this socket has open now (None: none)."""
        if conn.viewing is not None:
            _discard(self._by_ticket, conn.viewing, conn)
        conn.viewing = ticket_id
        if ticket_id is None:
            conn.typing = False
        else:
            self._by_ticket[ticket_id].add(conn)

    def _candidates(self, t: TicketAudience) -> set[Connection]:
        """The sockets the audience may name (``may_receive`` then decides)."""
        found = set(self._department_heads)
        for unit_id in t.head_unit_ids | t.member_unit_ids:
            found |= self._by_unit.get(unit_id, set())
        for user_id in t.staff_user_ids | t.client_user_ids:
            found |= self._by_user.get(user_id, set())
        if t.client_group_id is not None:
            found |= self._group_leads.get(t.client_group_id, set())
        return found

    def connections(self) -> Iterator[Connection]:
        for sockets in list(self._by_user.values()):
            yield from list(sockets)

    def user_ids(self) -> list[int]:
        return list(self._by_user)

    def connections_of(self, user_id: int) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def deliver(self, user_id: int, event: dict[str, Any]) -> int:
        """An event without an id (not journalled) to every socket of one user."""
        sockets = self._by_user.get(user_id, ())
        if sockets:
            text = encode(event, None)
            for conn in sockets:
                conn.offer(text)
        return len(sockets)

    def deliver_entry(self, event_id: int | None, audience: Audience, messages: list[dict[str, Any]]) -> int:
        """A journalled event to every socket on this replica that may receive it."""
        if isinstance(audience, int):
            targets: Iterable[Connection] = self._by_user.get(audience, ())
        else:
            targets = [c for c in self._candidates(audience) if may_receive(c.viewer, audience)]
            for conn in self.viewers_of(audience.ticket_id):
                if conn not in targets:  # forwarded away from him: no more presence on it
                    self.view(conn, None)
        texts: list[str] | None = None
        count = 0
        for conn in targets:
            if texts is None:
                texts = [encode(m, event_id) for m in messages]
            for text in texts:
                conn.offer(text, event_id)
            count += 1
        return count

    def viewers_of(self, ticket_id: int) -> list[Connection]:
        return list(self._by_ticket.get(ticket_id, ()))


def _discard(index: dict[int, set[Connection]], key: int, conn: Connection) -> None:
    sockets = index.get(key)
    if sockets is not None:
        sockets.discard(conn)
        if not sockets:
            del index[key]
