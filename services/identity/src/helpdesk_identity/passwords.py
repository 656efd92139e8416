"""Password hashing with argon2id, OWASP profile: m=19 MiB, t=2, p=1.

Why not RFC 9106's low-memory profile (t=3, m=64 MiB, p=4): on the 2-core
machines Helpdesk targets it costs ~6-9x more CPU per sign-in and 64 MiB per
concurrent login, and p=4 buys nothing with 2 cores; bench/results/identity.md
has the figures. Hashes made with other parameters still verify and are
re-hashed with these at the next successful sign-in.

Legacy hashes: users imported from ZENLIX 2 keep its unsalted MD5 as
``legacy-md5$<hex>``. It is checked with a constant-time compare and, like any
hash that is not this argon2id profile, replaced at the first successful sign-in
(in the sign-in's transaction), after which the MD5 is gone for good.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
LEGACY_MD5 = "legacy-md5$"


def legacy_md5(md5_hex: str) -> str:
    """The stored form of a ZENLIX password hash (an unsalted MD5 in hex)."""
    return LEGACY_MD5 + md5_hex.lower()


def _legacy_ok(password_hash: str, password: str) -> bool:
    digest = hashlib.md5(password.encode()).hexdigest()  # ZENLIX's scheme, only to verify once
    return hmac.compare_digest(digest, password_hash[len(LEGACY_MD5) :])


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so timing does not reveal which logins exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        if password_hash is not None and password_hash.startswith(LEGACY_MD5):
            return _legacy_ok(password_hash, password)
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def needs_rehash(password_hash: str) -> bool:
    if password_hash.startswith(LEGACY_MD5):
        return True
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
