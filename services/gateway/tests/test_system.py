"""``GET /api/v1/system``: versions, service health and JetStream queue depths, admins only.

The gateway app is real and talks to real servers on loopback: a gRPC server
with the standard health service stands in for the services that are up, free
ports nobody listens on for those that are down, and NATS is the kit's test
server. Tokens are signed with a test key the app's verifier is given.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
import nats
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.api import AckPolicy, ConsumerConfig

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import Mesh, UserClaims, passport_verifier

KID = "system-test"
_KEY = Ed25519PrivateKey.generate()
_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def token(*, admin: bool) -> str:
    now = time.time()
    claims = {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": "7",
        "iat": int(now),
        "exp": now + 600,
        "login": "someone",
        "kind": "staff",
        "role": "unit_member",
        "units": [],
        "adm": admin,
        "sid": "admin-session" if admin else "member-session",
    }
    return jwt.encode(claims, _KEY, algorithm="EdDSA", headers={"kid": KID})


class Sessions:
    """Stands in for identity's answer about sessions (the gateway's SessionGuard): the
    user as his passport describes him now."""

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        claims = jwt.decode(token(admin=session_id == "admin-session"), options={"verify_signature": False})
        return "passport-of-" + session_id, UserClaims.from_claims(claims)


async def _keys() -> dict[str, bytes]:
    return {KID: _PEM}


@contextlib.asynccontextmanager
async def running_gateway(nats_url: str, mesh: Callable[[str], Mesh]) -> AsyncIterator[httpx.AsyncClient]:
    """identity and tickets are up; sla, notify, portal and realtime are not."""
    up = {
        name: GrpcServer(
            port=free_port(), service_names=[], mesh=mesh(name), passports=passport_verifier(_keys)
        )
        for name in ("identity", "tickets")
    }
    for server in up.values():
        await server.start()
    nobody = f"127.0.0.1:{free_port()}"
    settings = Settings(
        identity_addr=f"127.0.0.1:{up['identity'].port}",
        tickets_addr=f"127.0.0.1:{up['tickets'].port}",
        sla_addr=nobody,
        notify_addr=nobody,
        portal_addr=nobody,
        nats_url=nats_url,
        realtime_url=f"http://127.0.0.1:{free_port()}",
        tls_dir=mesh("gateway").tls_dir,
    )
    clients = Clients.connect(settings)
    app = build_app(clients)
    app.state.verifier = TokenVerifier(_keys)
    app.state.session_guard = Sessions()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http
    finally:
        await clients.close()
        for server in up.values():
            await server.stop(0)


@pytest.fixture
async def gateway(nats_url: str, mesh: Callable[[str], Mesh]) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(nats_url, mesh) as http:
        yield http


async def test_an_admin_sees_versions_which_services_are_up_or_down_and_queue_depths(
    gateway: httpx.AsyncClient, nats_url: str
) -> None:
    stream = f"SYSTEST{secrets.token_hex(3).upper()}"
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
        await js.add_consumer(stream, ConsumerConfig(durable_name="reader", ack_policy=AckPolicy.EXPLICIT))
        for i in range(3):
            await js.publish(f"{stream.lower()}.Thing", str(i).encode())

        resp = await gateway.get("/api/v1/system", headers={"Authorization": f"Bearer {token(admin=True)}"})
    finally:
        await nc.jetstream().delete_stream(stream)
        await nc.close()

    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["versions"]["python"]
    assert body["versions"]["helpdesk-gateway"]
    status = {s["name"]: s["status"] for s in body["services"]}
    assert status == {
        "gateway": "up",
        "identity": "up",
        "tickets": "up",
        "sla": "down",
        "notify": "down",
        "portal": "down",
        "realtime": "down",
    }
    assert body["queues"]["status"] == "up"
    assert body["status"] == "degraded"  # sla, notify and realtime are down
    ours = next(s for s in body["queues"]["streams"] if s["name"] == stream)
    assert ours["messages"] == 3
    assert ours["consumers"] == [
        {"name": "reader", "num_pending": 3, "num_ack_pending": 0, "num_redelivered": 0}
    ]


async def test_queues_show_down_when_nats_is_unreachable_and_the_rest_still_answers(
    mesh: Callable[[str], Mesh],
) -> None:
    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        resp = await gateway.get(
            "/api/v1/system/info", headers={"Authorization": f"Bearer {token(admin=True)}"}
        )
    assert resp.status_code == 200, resp.text
    assert resp.json()["queues"] == {"status": "down", "streams": []}
    assert {"name": "identity", "status": "up"} in resp.json()["services"]


async def test_a_staff_member_who_is_not_an_admin_gets_403_and_no_figures(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.get("/api/v1/system", headers={"Authorization": f"Bearer {token(admin=False)}"})
    assert resp.status_code == 403
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "services" not in resp.json()


async def test_without_a_token_the_answer_is_401(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/v1/system")).status_code == 401


async def test_queues_are_read_from_a_cluster_url_whose_first_server_is_away(
    nats_url: str, mesh: Callable[[str], Mesh]
) -> None:
    cluster_url = f"nats://127.0.0.1:{free_port()},{nats_url}"  # HELPDESK_NATS_URL of a cluster
    async with running_gateway(cluster_url, mesh) as gateway:
        resp = await gateway.get("/api/v1/system", headers={"Authorization": f"Bearer {token(admin=True)}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["queues"]["status"] == "up"
