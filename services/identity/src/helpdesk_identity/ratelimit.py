"""Login rate limits in Redis: failed attempts counted per account and per client address.

A fixed window per key: the first failure starts it; when the count reaches the
limit, further attempts are refused (429 with Retry-After = the window's rest)
before any password is checked. A successful sign-in clears the account's count.
"""

from __future__ import annotations

from typing import Protocol

import redis.asyncio as aioredis

from helpdesk_identity.errors import TooManyAttempts


class Limiter(Protocol):
    async def check(self, login: str, address: str) -> None: ...
    async def failed(self, login: str, address: str) -> None: ...
    async def succeeded(self, login: str) -> None: ...


class NoLimits:
    """For a process without Redis (tools, unit tests of other rules)."""

    async def check(self, login: str, address: str) -> None:
        return None

    async def failed(self, login: str, address: str) -> None:
        return None

    async def succeeded(self, login: str) -> None:
        return None


class RedisLimiter:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        per_account: int = 5,
        per_address: int = 30,
        window_seconds: int = 900,
    ) -> None:
        self._redis = client
        self._limits = {"acct": per_account, "addr": per_address}
        self._window = window_seconds

    @staticmethod
    def _keys(login: str, address: str) -> dict[str, str]:
        keys = {"acct": f"identity:login-fail:acct:{login.strip().lower()}"}
        if address:
            keys["addr"] = f"identity:login-fail:addr:{address}"
        return keys

    async def check(self, login: str, address: str) -> None:
        keys = self._keys(login, address)
        counts = await self._redis.mget(list(keys.values()))
        for (kind, key), count in zip(keys.items(), counts, strict=True):
            if count is not None and int(count) >= self._limits[kind]:
                ttl = await self._redis.ttl(key)
                raise TooManyAttempts(retry_after=max(int(ttl), 1))

    async def failed(self, login: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(login, address).values():
                # SET NX EX then INCR: the window starts at the first failure (works on Redis < 7).
                pipe.set(key, 0, ex=self._window, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def succeeded(self, login: str) -> None:
        await self._redis.delete(self._keys(login, "")["acct"])
