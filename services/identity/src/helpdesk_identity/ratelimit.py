"""Attempt limits in Redis: attempts counted per account (and per client address where known).

A fixed window per key: the first counted attempt starts it; when the count reaches
the limit, further attempts are refused (429 with Retry-After = the window's rest)
before anything is checked. Three limiters share the shape (``Limiters``):

- ``login``: failed sign-ins per account and address, and wrong current passwords
  (password change, e-mail change, turning TOTP off); a success clears the account's count;
- ``totp``: wrong second-factor codes per user (sign-in, confirm, disable);
- ``mail``: registration and password-reset requests per e-mail or login asked for,
  each counted, whether or not the account exists (so the answer tells nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from helpdesk_identity.errors import TooManyAttempts


class Limiter(Protocol):
    async def check(self, key: str, address: str) -> None: ...
    async def count(self, key: str, address: str) -> None: ...
    async def clear(self, key: str) -> None: ...


class NoLimits:
    """For a process without Redis (tools, unit tests of other rules)."""

    async def check(self, key: str, address: str) -> None:
        return None

    async def count(self, key: str, address: str) -> None:
        return None

    async def clear(self, key: str) -> None:
        return None


class RedisLimiter:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        kind: str = "login",
        per_account: int = 5,
        per_address: int = 30,
        window_seconds: int = 900,
        detail: str = TooManyAttempts.detail,
    ) -> None:
        self._redis = client
        self._kind = kind
        self._limits = {"acct": per_account, "addr": per_address}
        self._window = window_seconds
        self._detail = detail

    def _keys(self, key: str, address: str) -> dict[str, str]:
        # "login-fail" is the key sign-in failures always had: counts survive an upgrade.
        keys = {"acct": f"identity:{self._kind}-fail:acct:{key.strip().lower()}"}
        if address:
            keys["addr"] = f"identity:{self._kind}-fail:addr:{address}"
        return keys

    async def check(self, key: str, address: str) -> None:
        keys = self._keys(key, address)
        counts = await self._redis.mget(list(keys.values()))
        for (kind, name), count in zip(keys.items(), counts, strict=True):
            if count is not None and int(count) >= self._limits[kind]:
                ttl = await self._redis.ttl(name)
                raise TooManyAttempts(self._detail, retry_after=max(int(ttl), 1))

    async def count(self, key: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in self._keys(key, address).values():
                # SET NX EX then INCR: the window starts at the first attempt (works on Redis < 7).
                pipe.set(name, 0, ex=self._window, nx=True)
                pipe.incr(name)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self._redis.delete(self._keys(key, "")["acct"])


@dataclass(frozen=True)
class Limiters:
    """The service's three limiters (see the module docstring)."""

    login: Limiter
    totp: Limiter
    mail: Limiter

    @classmethod
    def none(cls) -> Limiters:
        return cls(login=NoLimits(), totp=NoLimits(), mail=NoLimits())

    @classmethod
    def in_redis(
        cls,
        client: aioredis.Redis,
        *,
        login_per_account: int = 5,
        login_per_address: int = 30,
        login_window_seconds: int = 900,
        totp_per_account: int = 5,
        totp_window_seconds: int = 900,
        mail_per_account: int = 3,
        mail_window_seconds: int = 3600,
    ) -> Limiters:
        return cls(
            login=RedisLimiter(
                client,
                per_account=login_per_account,
                per_address=login_per_address,
                window_seconds=login_window_seconds,
            ),
            totp=RedisLimiter(
                client,
                kind="totp",
                per_account=totp_per_account,
                window_seconds=totp_window_seconds,
                detail="Too many wrong one-time codes; try again later.",
            ),
            mail=RedisLimiter(
                client,
                kind="mail",
                per_account=mail_per_account,
                window_seconds=mail_window_seconds,
                detail="Too many requests for this address; try again later.",
            ),
        )
