"""``/api/v1/system/dead-letters``: a service's parked events through the gateway and the
kit's Ops service — listed with reason and deliveries, replayed once however often asked.

The service is a real gRPC server with the kit's Ops mounted on a real database; its
consumer's handler writes a row, so "applied once" is counted in the database.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import nats
from google.protobuf.struct_pb2 import Value

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.inbox import Consumer, Event, Route
from helpdesk_kit.migrations import upgrade
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import Mesh, UserClaims, passport_verifier

from .test_system import _keys, token

KIT_MIGRATIONS = Path(__file__).parents[3] / "libs" / "kit" / "tests" / "migrations"


class Effects:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, uow: UnitOfWork, event: Event[Any]) -> None:
        self.calls += 1
        await uow.conn.execute("CREATE TABLE IF NOT EXISTS effects (text text)")
        await uow.conn.execute("INSERT INTO effects VALUES ($1)", event.message.string_value)


class Sessions:
    """Stands in for identity's answer about a session: a passport signed by the test's issuer."""

    def __init__(self, passports: PassportIssuer) -> None:
        self._passports = passports

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        passport = self._passports.sign(user_id=7, is_admin=session_id == "admin-session")
        return passport, UserClaims.from_claims(jwt.decode(passport, options={"verify_signature": False}))


@contextlib.asynccontextmanager
async def tickets_with_a_parked_event(
    database_url: str, nats_url: str, handler: Effects, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    schema = "svc" + secrets.token_hex(4)
    await upgrade(database_url=database_url, schema=schema, script_location=KIT_MIGRATIONS)
    nc = await nats.connect(nats_url)
    db = Database(database_url, schema=schema, pool_size=2)
    await db.connect()
    consumer = Consumer(
        name="tickets-sla", db=db, js=nc.jetstream(), source_service="sla", routes=[Route(Value, handler)]
    )
    await db.pool.execute(
        "INSERT INTO dead_letters"
        " (consumer, event_id, subject, event_type, payload, headers, error, deliveries)"
        " VALUES ('tickets-sla', 'e-1', 'sla.Value', 'google.protobuf.Value', $1, '{}',"
        " 'ValueError(''a bug'')', 5)",
        Value(string_value="x").SerializeToString(),
    )
    server = GrpcServer(
        port=free_port(),
        service_names=[OPS_SERVICE],
        mesh=mesh("tickets"),
        passports=passport_verifier(passports.keys),
    )
    mount_ops(server, db=db, consumers=[consumer])
    await server.start()
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        Settings(
            identity_addr=nobody,
            tickets_addr=f"127.0.0.1:{server.port}",
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            tls_dir=mesh("gateway").tls_dir,
        )
    )
    app = build_app(clients)
    app.state.verifier = TokenVerifier(_keys)
    app.state.session_guard = Sessions(passports)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http, db
    finally:
        await clients.close()
        await server.stop(0)
        await db.close()
        await nc.close()


async def test_a_parked_event_is_listed_with_its_reason_and_replayed_once(
    database_url: str, nats_url: str, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> None:
    admin = {"Authorization": f"Bearer {token(admin=True)}"}
    handler = Effects()
    async with tickets_with_a_parked_event(database_url, nats_url, handler, mesh, passports) as (gw, db):
        listed = (await gw.get("/api/v1/system/dead-letters?service=tickets", headers=admin)).json()
        [parked] = listed["items"]
        assert (parked["consumer"], parked["event_id"], parked["deliveries"]) == ("tickets-sla", "e-1", 5)
        assert "a bug" in parked["error"]
        body = {"service": "tickets", "ids": [parked["id"]]}
        first = (await gw.post("/api/v1/system/dead-letters/replay", json=body, headers=admin)).json()
        again = (await gw.post("/api/v1/system/dead-letters/replay", json=body, headers=admin)).json()
        after = (await gw.get("/api/v1/system/dead-letters?service=tickets", headers=admin)).json()["items"]
        effects = [r["text"] for r in await db.pool.fetch("SELECT text FROM effects")]
        no_filter = await gw.post(
            "/api/v1/system/dead-letters/replay", json={"service": "tickets"}, headers=admin
        )
        member = await gw.get(
            "/api/v1/system/dead-letters?service=tickets",
            headers={"Authorization": f"Bearer {token(admin=False)}"},
        )
        unknown = await gw.get("/api/v1/system/dead-letters?service=gateway", headers=admin)
    assert first == {"replayed": [parked["id"]], "failed": []} and again == {"replayed": [], "failed": []}
    assert after == [] and effects == ["x"] and handler.calls == 1
    assert (no_filter.status_code, member.status_code, unknown.status_code) == (422, 403, 422)
