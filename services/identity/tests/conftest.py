"""Identity behind the real gateway: PostgreSQL, Redis, identity's gRPC server, the gateway app.

Each test gets a fresh database migrated to head, the ``system`` administrator,
an empty Redis, identity serving gRPC on a free port in this process, and an
HTTP client that talks to the gateway's ASGI app (the real routes, auth and
gRPC clients).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from helpdesk.identity.v1 import identity_pb2_grpc

from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings as GatewaySettings
from helpdesk_identity import app as identity_app
from helpdesk_identity import usecases
from helpdesk_identity.app import limiters_in
from helpdesk_identity.config import Settings
from helpdesk_identity.rpc import IdentityService
from helpdesk_kit.db import Database
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.trust import Mesh, passport_verifier

REVALIDATE = 0.5
ADMIN_PASSWORD = "admin-" + secrets.token_hex(6)


@dataclass
class Env:
    api: httpx.AsyncClient
    db: Database
    settings: Settings
    admin: dict[str, str]
    rpc: Any = None  # the gateway's identity stub
    as_service: Any = None  # as_service("notify"): identity's stub as that service calls it
    gateway_settings: GatewaySettings | None = None  # another gateway replica's, to build one

    async def login(self, login: str, password: str, **extra: Any) -> httpx.Response:
        return await self.api.post("/api/v1/auth/login", json={"login": login, "password": password, **extra})

    async def token(self, login: str, password: str) -> str:
        resp = await self.login(login, password)
        assert resp.status_code == 200, resp.text
        token: str = resp.json()["access_token"]
        return token

    async def create_user(self, **fields: Any) -> dict[str, Any]:
        body = {"full_name": "Someone", "kind": "staff", "role": "unit_member", "password": "password-1"}
        body.update(fields)
        resp = await self.api.post("/api/v1/users", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        user: dict[str, Any] = resp.json()
        return user


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def env(
    database_url: str,
    redis_url: str,
    request: pytest.FixtureRequest,
    mesh: Callable[[str], Mesh],
    secret_keys: str,
) -> AsyncIterator[Env]:
    """Mark a test ``@pytest.mark.identity_settings(name=value, ...)`` to change identity's settings."""
    marker = request.node.get_closest_marker("identity_settings")
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        grpc_port=0,
        admin_password=ADMIN_PASSWORD,
        public_url="https://desk.example",
        secret_keys=secret_keys,
        **(marker.kwargs if marker else {}),
    )
    await identity_app.migrate(settings)
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    async with Database(database_url, schema=identity_app.SERVICE, pool_size=4) as db:
        await usecases.ensure_signing_key(db=db)
        await usecases.bootstrap_admin(db=db, password=ADMIN_PASSWORD)

        async def own_keys() -> dict[str, bytes]:
            return await usecases.verification_keys(db=db, access_ttl=settings.access_token_ttl_seconds)

        grpc_server = GrpcServer(
            port=0,
            service_names=["helpdesk.identity.v1.Identity"],
            mesh=mesh("identity"),
            passports=passport_verifier(own_keys),
        )
        identity_pb2_grpc.add_IdentityServicer_to_server(
            IdentityService(db=db, settings=settings, limiters=limiters_in(client, settings)),
            grpc_server.server,
        )
        await grpc_server.start()
        gw_settings = GatewaySettings(
            identity_addr=f"127.0.0.1:{grpc_server.port}",
            tickets_addr="127.0.0.1:1",
            notify_addr="127.0.0.1:1",
            sla_addr="127.0.0.1:1",
            portal_addr="127.0.0.1:1",
            tls_dir=mesh("gateway").tls_dir,
        )
        clients = Clients.connect(gw_settings)
        # The gateway re-asks identity about sessions every REVALIDATE seconds (5 in production).
        app = build_app(clients, revalidate_seconds=REVALIDATE)
        others: list[Any] = []

        def as_service(name: str) -> identity_pb2_grpc.IdentityAsyncStub:
            ch = channel(f"127.0.0.1:{grpc_server.port}", service="identity", mesh=mesh(name), deadline=5)
            others.append(ch)
            return identity_pb2_grpc.IdentityStub(ch)

        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as api:
                e = Env(
                    api=api,
                    db=db,
                    settings=settings,
                    admin={},
                    rpc=clients.identity,
                    as_service=as_service,
                    gateway_settings=gw_settings,
                )
                e.admin = bearer(await e.token("system", ADMIN_PASSWORD))
                yield e
        finally:
            for ch in others:
                await ch.close()
            await clients.close()
            await grpc_server.stop(0)
            await client.aclose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "identity_settings(**kw): identity settings for the env fixture")
