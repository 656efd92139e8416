"""Password hashing with argon2id, OWASP profile: m=19 MiB, t=2, p=1.

Why not RFC 9106's low-memory profile (t=3, m=64 MiB, p=4): on the 2-core
machines Helpdesk targets it costs ~6-9x more CPU per sign-in and 64 MiB per
concurrent login, and p=4 buys nothing with 2 cores; bench/results/identity.md
has the figures. Hashes made with other parameters still verify and are
re-hashed with these at the next successful sign-in.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the login is unknown, so timing does not reveal which logins exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False
