"""What proving the caller costs per gRPC call: plain text and no checks vs mutual TLS,
the access rule and a passport verified (cached after its first use, as in production).

    .venv/bin/python bench/grpc_trust.py [--seconds 5] [--levels 1,32] [--rounds 3]

Client and server run in this process on loopback; the CPU time of the process per
call therefore covers both sides. Modes alternate round by round (the machine is
shared and noisy), and the median of the rounds is printed. A benchmark, not a
test: it asserts nothing and is never run by `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2

from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.servers import free_port
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.tokens import ISSUER
from helpdesk_kit.trust import PASSPORT_AUDIENCE, Mesh, Rule, acting_for, passport_verifier

METHOD = "/bench.Echo/Call"
KEY = Ed25519PrivateKey.generate()


async def keys() -> dict[str, bytes]:
    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {"k": pem}


def passport() -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": PASSPORT_AUDIENCE,
        "sub": "7",
        "iat": now,
        "exp": now + 3600,
        "kind": "staff",
    }
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k"})


async def echo(request: Any, context: Any) -> health_pb2.HealthCheckRequest:
    return request  # type: ignore[no-any-return]


def handlers() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Call": grpc.unary_unary_rpc_method_handler(
                echo,
                request_deserializer=health_pb2.HealthCheckRequest.FromString,
                response_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            )
        },
    )


async def run_mode(secure: bool, pki: Path, concurrency: int, seconds: float) -> tuple[float, float]:
    """(calls/s, CPU µs per call) for one mode at one concurrency."""
    ca = CertificateAuthority(pki)
    if secure:
        server_mesh = Mesh(service="echo", tls_dir=str(ca.issue("echo")))
        client_mesh = Mesh(service="gateway", tls_dir=str(ca.issue("gateway")))
        rules = {METHOD: Rule(users_via=frozenset({"gateway"}), services=frozenset())}
    else:
        server_mesh = Mesh(service="echo", insecure=True)
        client_mesh = Mesh(service="gateway", insecure=True)
        rules = {METHOD: Rule(users_via=frozenset(), services=frozenset({"gateway"}))}
    server = GrpcServer(
        port=free_port(), service_names=[], mesh=server_mesh, passports=passport_verifier(keys), rules=rules
    )
    server.server.add_generic_rpc_handlers([handlers()])
    await server.start()
    ch = channel(f"127.0.0.1:{server.port}", service="echo", mesh=client_mesh, deadline=10)
    call = ch.unary_unary(
        METHOD,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckRequest.FromString,
    )
    request = health_pb2.HealthCheckRequest(service="x" * 200)
    token = passport() if secure else ""
    done = 0

    async def worker(until: float) -> None:
        nonlocal done
        with acting_for(token):
            while time.monotonic() < until:
                await call(request)
                done += 1

    try:
        await asyncio.gather(*(worker(time.monotonic() + 1) for _ in range(concurrency)))  # warm up
        done = 0
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.gather(*(worker(t0 + seconds) for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    finally:
        await ch.close()
        await server.stop(0)
    return done / wall, cpu / done * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--levels", default="1,32")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for level in levels:
                for secure in (False, True):
                    mode = "mTLS + rule + passport" if secure else "plain text, no checks"
                    results.setdefault((mode, level), []).append(
                        await run_mode(secure, Path(tmp), level, args.seconds)
                    )
    for (mode, level), runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"c={level:<3} {mode:<24} {rate:8.0f} calls/s   {cpu:6.0f} µs CPU per call (both sides)")


if __name__ == "__main__":
    asyncio.run(main())
