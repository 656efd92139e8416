"""Moving windows in Redis, every window a request falls under counted in one round trip.

A window is a Redis list of the times of its last ``limit`` requests, newest first — the
layout, keys (``gateway:`` + ``limits``' ``RateLimitItem.key_for``) and rules of ``limits``'
moving-window strategy, so the counts carry over from it. ``limits`` asks Redis twice per
window (take an entry, then read where the window stands); a new ticket falls under three
windows (the general limit, 30 a minute, 300 a day): six round trips before the route ran.
Here one Lua script takes an entry in each window in turn and reads its state, and stops at
the first full one (a refused request is not counted under the limits after it), as the
per-window calls did (bench/RESULTS.md § The gateway's hot path and idle memory).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

# KEYS: the windows' lists; ARGV[1]: now (seconds, float); then each window's limit and
# length in seconds. Per window, in order, until the first full one:
# {1 if an entry was taken else 0, the oldest time still in the window, entries in it}.
_TAKE = """
local now = tonumber(ARGV[1])
local answers = {}
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1])
    local since = now - expiry
    local last = redis.call('lindex', key, limit - 1)
    local taken = 0
    if not (last and tonumber(last) >= since) then
        redis.call('lpush', key, ARGV[1])
        redis.call('ltrim', key, 0, limit - 1)
        redis.call('expire', key, expiry)
        taken = 1
    end
    -- The oldest entry still in the window (the list is newest first): a binary search.
    local low, high, found = 0, redis.call('llen', key) - 1, -1
    while low <= high do
        local mid = math.floor((low + high) / 2)
        local value = tonumber(redis.call('lindex', key, mid))
        if value and value >= since then
            found = mid
            low = mid + 1
        else
            high = mid - 1
        end
    end
    if found >= 0 then
        answers[i] = {taken, redis.call('lindex', key, found), found + 1}
    else
        answers[i] = {taken, ARGV[1], 0}
    end
    if taken == 0 then
        break
    end
end
return answers
"""


@dataclass(frozen=True)
class Window:
    """Where one window stands after the request: was it let through, since when the
    window's entries date, how many it holds now."""

    taken: bool
    oldest: float
    count: int


@dataclass(frozen=True)
class Ask:
    """One window to take an entry in: its key (without the prefix), limit and length."""

    key: str
    limit: int
    seconds: int


class Windows:
    """The windows, counted in the Redis at ``redis_url``; Redis' errors are raised
    (``redis.exceptions.RedisError``) for the caller to decide."""

    def __init__(self, redis_url: str, *, prefix: str = "gateway") -> None:
        self._redis = Redis.from_url(redis_url)
        self._take = self._redis.register_script(_TAKE)
        self._prefix = prefix

    async def take(self, asks: Sequence[Ask]) -> list[Window]:
        """One entry in each window of ``asks`` in turn, up to and including the first one
        that is full (its ``taken`` is False; the ones after it are not answered)."""
        args: list[float | int] = [time.time()]
        for ask in asks:
            args += [ask.limit, ask.seconds]
        answers = await self._take(keys=[f"{self._prefix}:{ask.key}" for ask in asks], args=args)
        return [Window(bool(taken), float(oldest), int(count)) for taken, oldest, count in answers]
