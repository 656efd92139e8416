"""Verifying signed access tokens (EdDSA JWTs) without calling the issuer each time.

The issuer publishes its public keys; a verifier caches them by key id and asks
again only when it meets a key id it does not know (a rotation), at most once
every few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from helpdesk_kit.errors import Unauthenticated

__all__ = [
    "ALGORITHM",
    "AUDIENCE",
    "ISSUER",
    "LEEWAY",
    "KeyFetcher",
    "TokenVerifier",
]

ISSUER = "helpdesk"
AUDIENCE = "helpdesk"
ALGORITHM = "EdDSA"
LEEWAY = 5

KeyFetcher = Callable[[], Awaitable[dict[str, bytes]]]


class TokenVerifier:
    def __init__(
        self,
        fetch_keys: KeyFetcher,
        *,
        audience: str = AUDIENCE,
        leeway: int = LEEWAY,
        refresh_interval: float = 5.0,
        cache_size: int = 10_000,
    ) -> None:
        self._fetch = fetch_keys
        self._audience = audience
        self._leeway = leeway
        self._verified: dict[str, dict[str, Any]] = {}
        self._cache_size = cache_size
        self._keys: dict[str, Any] = {}
        self._refreshed_at = 0.0
        self._interval = refresh_interval
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._refreshed_at < self._interval and self._keys:
                return
            pems = await self._fetch()
            self._keys = {kid: load_pem_public_key(pem) for kid, pem in pems.items()}
            self._refreshed_at = time.monotonic()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or Unauthenticated when it is malformed, forged or expired.

        A token's signature is checked once: a client sends the same token with every
        request until it expires, so verified claims are remembered (bounded) and only
        the expiry is checked again.
        """
        claims = self._verified.get(token)
        if claims is not None:
            if claims["exp"] + self._leeway < time.time():
                del self._verified[token]
                raise Unauthenticated("The access token has expired.")
            return claims
        claims = await self._verify_signature(token)
        if len(self._verified) >= self._cache_size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = claims
        return claims

    async def _verify_signature(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The access token is malformed.") from exc
        key = self._keys.get(kid)
        if key is None:
            await self.refresh()
            key = self._keys.get(kid)
            if key is None:
                raise Unauthenticated("The access token was signed by an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=ISSUER,
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The access token is not valid.") from exc
        return claims
