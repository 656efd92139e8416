"""Identity sign-in and per-request auth costs: argon2id logins and token checks at the gateway.

    .venv/bin/python bench/identity_auth.py [--logins 40]

- login throughput: argon2id verify with the service's parameters (OWASP profile:
  t=2, m=19 MiB, p=1), one and two at a time, and RFC 9106's low-memory profile
  (t=3, m=64 MiB, p=4) for comparison;
- token verification per request at the gateway: a JWT's first sight (EdDSA
  signature check), then the cached path every later request takes (claims cache
  + the session-liveness cache of auth.SessionGuard), as the create-ticket hot path pays it.

A benchmark, not a test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argon2 import PasswordHasher
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from helpdesk_gateway.auth import SessionGuard
from helpdesk_identity import signing
from helpdesk_identity.domain import Kind, Role, User
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import passport_verifier


def bench_argon2(n: int) -> None:
    rfc = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
    h = rfc.hash("x" * 12)
    t0 = time.perf_counter()
    for _ in range(max(n // 8, 3)):
        rfc.verify(h, "x" * 12)
    print(
        f"RFC 9106 low-memory (t=3 m=64MiB p=4): {(time.perf_counter() - t0) / max(n // 8, 3) * 1000:.0f} ms per verify"
    )
    ph = PasswordHasher(
        time_cost=2, memory_cost=19 * 1024, parallelism=1
    )  # as services/identity passwords.py
    h = ph.hash("correct horse battery staple")
    print(f"argon2id parameters: t={ph.time_cost} m={ph.memory_cost} KiB p={ph.parallelism}")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        ph.verify(h, "correct horse battery staple")
        times.append(time.perf_counter() - t0)
    print(
        f"verify, one at a time: p50 {statistics.median(times) * 1000:.1f} ms -> {1 / statistics.median(times):.1f} logins/s"
    )
    for workers in (2,):
        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda _: ph.verify(h, "correct horse battery staple"), range(n)))
        elapsed = time.perf_counter() - t0
        print(f"verify, {workers} threads: {n / elapsed:.1f} logins/s")


class _FakeIdentity:
    """Answers CheckSession instantly with a passport: only the gateway's own cost is measured."""

    def __init__(self, passport: str) -> None:
        self._passport = passport

    async def CheckSession(self, request: Any) -> Any:
        passport = self._passport

        class R:
            active = True

        R.passport = passport  # type: ignore[attr-defined]
        return R()


async def bench_tokens() -> None:
    kid, private_pem, public_pem = signing.new_key_pair()
    user = User(id=1, login="u", full_name="U", kind=Kind.STAFF, role=Role.UNIT_MEMBER, unit_ids=[1, 2])

    async def keys() -> dict[str, bytes]:
        return {kid: public_pem}

    verifier = TokenVerifier(keys)
    passport = signing.passport(user=user, kid=kid, private_pem=private_pem, ttl=900, session_id="s")
    guard = SessionGuard(_FakeIdentity(passport), passport_verifier(keys))  # type: ignore[arg-type]
    tokens = [
        signing.access_token(user=user, kid=kid, private_pem=private_pem, ttl=900, session_id=f"s{i}")
        for i in range(2000)
    ]
    load_pem_public_key(public_pem)
    await verifier.refresh()
    t0 = time.perf_counter()
    for t in tokens:
        await verifier.verify(t)
    first = (time.perf_counter() - t0) / len(tokens)
    n = 200_000
    t0 = time.perf_counter()
    for i in range(n):
        claims = await verifier.verify(tokens[i % len(tokens)])
        await guard.session(str(claims["sid"]))
    cached = (time.perf_counter() - t0) / n
    print(f"JWT first sight (EdDSA verify + claims): {first * 1e6:.1f} µs per token")
    print(f"every later request (cached claims + the session's cached passport): {cached * 1e6:.2f} µs")
    print("passport miss: one CheckSession gRPC per session per 5 s (identity signs a passport)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40)
    args = parser.parse_args()
    bench_argon2(args.logins)
    asyncio.run(bench_tokens())


if __name__ == "__main__":
    main()
