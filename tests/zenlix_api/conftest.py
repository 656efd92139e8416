"""ZENLIX's JSON API through the real gateway app against the real identity and tickets
servicers (gRPC over mTLS, with passports), PostgreSQL and Redis — in this process, so
the 19 modes are checked in seconds rather than with a whole stack.

One desk per module: tests make their own units, users and tickets, so they do not see
each other's. ``desk.zenlix(**body)`` posts to ``/api`` like a ZENLIX client.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2_grpc

from helpdesk_devstack.servers import PostgresServer
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings as GatewaySettings
from helpdesk_identity import app as identity_app
from helpdesk_identity import usecases as identity_usecases
from helpdesk_identity.config import Settings as IdentitySettings
from helpdesk_identity.ratelimit import Limiters
from helpdesk_identity.rpc import IdentityService
from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.trust import Mesh, passport_verifier
from helpdesk_tickets import app as tickets_app
from helpdesk_tickets import usecases as tickets_usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.rpc import TicketsService

ADMIN_PASSWORD = "admin-" + secrets.token_hex(6)
PASSWORD = "password-1"
REVALIDATE = 0.3  # how long the gateway trusts a key's passport (5 s in production)
TIME_ZONE = "Europe/Kyiv"  # the installation's zone (ZENLIX's perf.time_zone)


@dataclass
class User:
    id: int
    login: str
    public_hash: str
    full_name: str
    password: str = PASSWORD
    key: str = ""


@dataclass
class Desk:
    api: httpx.AsyncClient
    identity_db: Database
    tickets_db: Database
    settings: GatewaySettings
    app: Any = None  # the gateway's ASGI app
    admin: dict[str, str] = field(default_factory=dict)

    async def zenlix(self, path: str = "/api", **body: Any) -> Any:
        """Posts ``body`` as ZENLIX clients do and returns the JSON answer (200 expected)."""
        resp = await self.api.post(path, json=body)
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def unit(self, name: str = "") -> int:
        resp = await self.api.post(
            "/api/v1/units", json={"name": name or f"Unit {uuid.uuid4().hex[:8]}"}, headers=self.admin
        )
        assert resp.status_code == 201, resp.text
        unit_id: int = resp.json()["id"]
        return unit_id

    async def user(
        self, full_name: str = "Petrenko Ivan Mykolayovych", *, key: bool = True, **fields: Any
    ) -> User:
        """A user (staff unit member unless ``fields`` say otherwise) with a ZENLIX key from ``auth``."""
        login = f"u{uuid.uuid4().hex[:10]}"
        body: dict[str, Any] = {
            "login": login,
            "full_name": full_name,
            "kind": "staff",
            "role": "unit_member",
            "password": PASSWORD,
        }
        body.update(fields)
        if body["kind"] == "client":
            body.pop("role", None)
        resp = await self.api.post("/api/v1/users", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        user_id = resp.json()["id"]
        async with self.identity_db.unit_of_work() as uow:
            public_hash = await uow.conn.fetchval("SELECT public_hash FROM users WHERE id = $1", user_id)
        u = User(id=user_id, login=login, public_hash=public_hash, full_name=full_name)
        if key:
            answer = await self.zenlix(mode="auth", login=login, **{"pass": PASSWORD})
            assert answer["status"] == "ok", answer
            u.key = answer["uniq_id"]
        return u

    async def ticket(self, author: User, unit_id: int, **fields: Any) -> dict[str, Any]:
        """A ticket filed through ``create_ticket``: {"ticket_hash", "ticket_id"}."""
        body = {
            "uniq_id": author.key,
            "user_to_id": "0",
            "subj": "Printer on fire",
            "msg": "Third floor, near the kitchen.",
            "client_id": author.public_hash,
            "unit_id": str(unit_id),
            "prio": "1",
        }
        body.update(fields)
        [answer] = await self.zenlix(mode="create_ticket", **body)
        assert answer["status"] == "ok", answer
        created: dict[str, Any] = answer
        return created

    async def sign_in(self, user: User) -> dict[str, str]:
        resp = await self.api.post(
            "/api/v1/auth/login", json={"login": user.login, "password": user.password}
        )
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.fixture(scope="module")
async def desk(
    postgres_server: PostgresServer, redis_url: str, mesh: Callable[[str], Mesh], secret_keys: str
) -> AsyncIterator[Desk]:
    url = postgres_server.create_database(f"zenlix_api_{uuid.uuid4().hex[:12]}")
    settings = IdentitySettings(
        database_url=url,
        redis_url=redis_url,
        grpc_port=0,
        admin_password=ADMIN_PASSWORD,
        secret_keys=secret_keys,
    )
    await identity_app.migrate(settings)
    await tickets_app.migrate(DatabaseSettings(database_url=url))
    redis = aioredis.from_url(redis_url)
    await redis.flushdb()
    closers: list[Any] = []
    async with (
        Database(url, schema="identity", pool_size=4) as identity_db,
        Database(url, schema="tickets", pool_size=4) as tickets_db,
    ):
        await identity_usecases.ensure_signing_key(db=identity_db)
        await identity_usecases.bootstrap_admin(db=identity_db, password=ADMIN_PASSWORD)

        async def keys() -> dict[str, bytes]:
            return await identity_usecases.verification_keys(
                db=identity_db, access_ttl=settings.access_token_ttl_seconds
            )

        identity_server = GrpcServer(
            port=0,
            service_names=["helpdesk.identity.v1.Identity"],
            mesh=mesh("identity"),
            passports=passport_verifier(keys),
        )
        limiters = Limiters.in_redis(redis, login_per_address=10_000)
        identity_pb2_grpc.add_IdentityServicer_to_server(
            IdentityService(db=identity_db, settings=settings, limiters=limiters), identity_server.server
        )
        await identity_server.start()
        identity_for_tickets = channel(
            f"127.0.0.1:{identity_server.port}", service="identity", mesh=mesh("tickets"), deadline=5
        )
        tickets_server = GrpcServer(
            port=0,
            service_names=["helpdesk.tickets.v1.Tickets"],
            mesh=mesh("tickets"),
            passports=passport_verifier(keys),
        )
        tickets_pb2_grpc.add_TicketsServicer_to_server(
            TicketsService(
                db=tickets_db,
                units=UnitDirectory(identity_pb2_grpc.IdentityStub(identity_for_tickets), ttl=60),
                settings=tickets_usecases.SettingsCache(),
            ),
            tickets_server.server,
        )
        await tickets_server.start()
        nobody = "127.0.0.1:1"
        gw_settings = GatewaySettings(
            identity_addr=f"127.0.0.1:{identity_server.port}",
            tickets_addr=f"127.0.0.1:{tickets_server.port}",
            notify_addr=nobody,
            sla_addr=nobody,
            portal_addr=nobody,
            tls_dir=mesh("gateway").tls_dir,
            zenlix_time_zone=TIME_ZONE,
            redis_url=redis_url,  # the gateway's rate limits, counted as in production
        )
        clients = Clients.connect(gw_settings)
        app = build_app(clients, revalidate_seconds=REVALIDATE)
        closers += [clients.close, identity_for_tickets.close]
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=20) as api:
                d = Desk(
                    api=api, identity_db=identity_db, tickets_db=tickets_db, settings=gw_settings, app=app
                )
                resp = await api.post(
                    "/api/v1/auth/login", json={"login": "system", "password": ADMIN_PASSWORD}
                )
                assert resp.status_code == 200, resp.text
                d.admin = {"Authorization": f"Bearer {resp.json()['access_token']}"}
                yield d
        finally:
            for close in closers:
                await close()
            await tickets_server.stop(0)
            await identity_server.stop(0)
            await redis.aclose()
    postgres_server.drop_database(url.rsplit("/", 1)[-1])
