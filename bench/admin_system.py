"""Admin area bench: how long ``GET /api/v1/system`` takes as the broker grows.

    .venv/bin/python bench/admin_system.py [--streams 4 20] [--consumers 3] [--rounds 50]

Runs the real gateway app in-process (httpx ASGI transport, real auth with a
test signing key) against a real NATS server started here and a gRPC server with
the standard health service for all four backends. For each stream count it
creates that many streams with ``--consumers`` durable consumers and 100
messages each, then calls the endpoint ``--rounds`` times one after another and
prints p50 / p95 / max latency. The page calls it once per visit or "Refresh".
Prints figures, asserts nothing, is never run by ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import jwt
import nats
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.api import ConsumerConfig

from helpdesk_devstack.servers import NatsServer, free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import Mesh, UserClaims, passport_verifier

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


async def keys() -> dict[str, bytes]:
    return {"bench": PEM}


def admin_token() -> str:
    now = time.time()
    claims = {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": "1",
        "iat": int(now),
        "exp": now + 3600,
        "adm": True,
        "sid": "bench-session",
    }
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "bench"})


class _AdminSession:
    """identity's answer for the bench's session: an administrator (the gateway's SessionGuard)."""

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        claims = jwt.decode(admin_token(), options={"verify_signature": False})
        return "bench-passport", UserClaims.from_claims(claims)


async def run(args: argparse.Namespace, nats_url: str) -> None:
    # Health only: plain text is enough here (the system page's own cost is measured).
    health = GrpcServer(
        port=free_port(),
        service_names=[],
        mesh=Mesh(service="identity", insecure=True),
        passports=passport_verifier(keys),
    )
    await health.start()
    addr = f"127.0.0.1:{health.port}"
    os.environ["HELPDESK_NATS_URL"] = nats_url
    clients = Clients.connect(
        Settings(
            identity_addr=addr,
            tickets_addr=addr,
            sla_addr=addr,
            notify_addr=addr,
            portal_addr=addr,
            grpc_insecure=True,
        )
    )
    app = build_app(clients)
    app.state.verifier = TokenVerifier(keys)
    app.state.session_guard = _AdminSession()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    made = 0
    headers = {"Authorization": f"Bearer {admin_token()}"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            for count in args.streams:
                while made < count:
                    name = f"BENCH{made}"
                    await js.add_stream(name=name, subjects=[f"bench{made}.>"])
                    for c in range(args.consumers):
                        await js.add_consumer(name, ConsumerConfig(durable_name=f"c{c}"))
                    for i in range(100):
                        await js.publish(f"bench{made}.x", str(i).encode())
                    made += 1
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    resp = await http.get("/api/v1/system", headers=headers)
                    times.append((time.perf_counter() - start) * 1000)
                    resp.raise_for_status()
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(
                    f"streams={count:3d} consumers/stream={args.consumers} rounds={args.rounds}: "
                    f"p50={statistics.median(times):6.1f} ms  p95={p95:6.1f} ms  max={times[-1]:6.1f} ms"
                )
    finally:
        await nc.close()
        await clients.close()
        await health.stop(0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, nargs="+", default=[4, 20])
    parser.add_argument("--consumers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp)) as server:
        asyncio.run(run(args, server.url))


if __name__ == "__main__":
    main()
