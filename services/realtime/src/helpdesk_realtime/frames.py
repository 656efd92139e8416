"""How many messages a client may send: per socket, and per user over all his sockets.

Per socket, a token bucket that lives and dies with the socket (``HELPDESK_RATE_SOCKET_FRAMES``,
e.g. ``20/10 seconds``: up to 20 at once, refilled at 2 a second): no shared state, no
sweeping, so it costs nothing at ten thousand sockets. Per user, ``limits``' moving window
in Redis, shared by the replicas (``HELPDESK_RATE_SOCKET_FRAMES_PER_USER``), asked only
for messages the socket's own bucket let through, so a flooding socket never reaches
Redis. A message over either limit is dropped and the client told (``error`` with
``retry_after``, once per wait). While Redis is away only the per-socket limit holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


class FrameBudget:
    """One socket's bucket: ``item.amount`` messages, refilled over ``item``'s period."""

    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(item.amount)
        self._per_second = item.amount / item.get_expiry()
        self._tokens = self._capacity
        self._clock = clock
        self._at = clock()

    def take(self) -> float:
        """0 when a message may pass (and is counted); else the seconds until one may."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._per_second


class FrameLimits:
    def __init__(self, per_socket: str, per_user: str, storage: RedisStorage | None) -> None:
        self._per_socket = parse(per_socket)
        self._per_user = parse(per_user)
        self._limiter = MovingWindowRateLimiter(storage) if storage is not None else None

    def budget(self) -> FrameBudget:
        return FrameBudget(self._per_socket)

    async def wait(self, budget: FrameBudget, user_id: int) -> int:
        """0 when the socket's next message may be handled; else whole seconds to wait."""
        if wait := budget.take():
            return math.ceil(wait)
        if self._limiter is None:
            return 0
        try:
            if await self._limiter.hit(self._per_user, "frames", str(user_id)):
                return 0
            reset_at, _ = await self._limiter.get_window_stats(self._per_user, "frames", str(user_id))
        except StorageError as exc:
            log.warning("realtime.frame_limits_unavailable", error=repr(exc))
            return 0
        return max(math.ceil(reset_at - time.time()), 1)


def redis_storage(redis_url: str, pool: ConnectionPool) -> RedisStorage:
    """``limits``' Redis storage on the replica's own (bounded) connection pool."""
    scheme, sep, rest = redis_url.partition("://")
    uri = f"async+{'redis+unix' if scheme == 'unix' else scheme}{sep}{rest}"
    return RedisStorage(
        uri,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix="realtime",
        # limits types its options as scalars; redis-py takes the pool as one of them.
        connection_pool=pool,  # type: ignore[arg-type]
    )
