"""Who is online, and who has which ticket open or is typing a reply on it (Redis).

- Online: every replica refreshes, every few seconds, the last-seen time of the
  users with a socket on it (one sorted set); a user is online while that time is
  younger than the TTL, so a crashed replica's users fade out by themselves.
- Collision: each socket viewing a ticket is a field of that ticket's hash
  (socket id → user, login, typing, time), refreshed the same way. After a change
  the replica publishes the ticket's viewers on core NATS (``realtime.presence``);
  every replica forwards them to its sockets that have that ticket open.

Only sockets whose user may see the ticket (asked of the tickets service, see
:class:`TicketAccess`) are registered as viewers, so presence reaches nobody else.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis

from helpdesk_realtime.domain import Viewer

ONLINE = "realtime:online"
VIEWERS = "realtime:viewers:"

Publish = Callable[[bytes], Awaitable[None]]


class TicketAccess(Protocol):
    async def can_view(self, viewer: Viewer, ticket_id: int, *, session_id: str) -> bool: ...


class Presence:
    def __init__(self, redis: Redis, publish: Publish, *, ttl_seconds: float) -> None:
        self._redis = redis
        self._publish = publish
        self._ttl_ms = int(ttl_seconds * 1000)
        self.ttl_seconds = ttl_seconds

    async def heartbeat(
        self, user_ids: Iterable[int], viewing: Iterable[tuple[str, int, dict[str, Any]]]
    ) -> None:
        """This replica's users are online; its sockets still view their tickets."""
        now = int(time.time() * 1000)
        pipe = self._redis.pipeline(transaction=False)
        users = {str(u): now for u in user_ids}
        if users:
            pipe.zadd(ONLINE, users)  # type: ignore[arg-type,unused-ignore]
        pipe.zremrangebyscore(ONLINE, 0, now - self._ttl_ms)
        for conn_id, ticket_id, entry in viewing:
            key = f"{VIEWERS}{ticket_id}"
            pipe.hset(key, conn_id, orjson.dumps({**entry, "at": now}))
            pipe.pexpire(key, self._ttl_ms)
        await pipe.execute()

    async def online(self) -> list[int]:
        now = int(time.time() * 1000)
        raw = await self._redis.zrangebyscore(ONLINE, now - self._ttl_ms, "+inf")
        return sorted(int(u) for u in raw)  # type: ignore[arg-type]

    async def set_viewing(
        self, conn_id: str, ticket_id: int, viewer: Viewer, login: str, *, typing: bool, name: str = ""
    ) -> None:
        now = int(time.time() * 1000)
        key = f"{VIEWERS}{ticket_id}"
        entry = {
            "user_id": viewer.user_id,
            "login": login,
            "name": name or login,
            "typing": typing,
            "at": now,
        }
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(key, conn_id, orjson.dumps(entry))
        pipe.pexpire(key, self._ttl_ms)
        await pipe.execute()
        await self.announce(ticket_id)

    async def leave(self, conn_id: str, ticket_id: int) -> None:
        await self._redis.hdel(f"{VIEWERS}{ticket_id}", conn_id)
        await self.announce(ticket_id)

    async def viewers(self, ticket_id: int) -> list[dict[str, Any]]:
        """Who has the ticket open, one entry per user (typing if any of his sockets is)."""
        raw = await self._redis.hgetall(f"{VIEWERS}{ticket_id}")
        fresh_after = int(time.time() * 1000) - self._ttl_ms
        by_user: dict[int, dict[str, Any]] = {}
        for value in raw.values():
            e = orjson.loads(value)
            if e["at"] < fresh_after:
                continue
            seen = by_user.get(e["user_id"])
            if seen is None:
                by_user[e["user_id"]] = {
                    "user_id": e["user_id"],
                    "login": e["login"],
                    "name": e.get("name") or e["login"],
                    "typing": e["typing"],
                }
            else:
                seen["typing"] = seen["typing"] or e["typing"]
        return [by_user[u] for u in sorted(by_user)]

    async def announce(self, ticket_id: int) -> None:
        viewers = await self.viewers(ticket_id)
        await self._publish(orjson.dumps({"ticket_id": ticket_id, "viewers": viewers}))
