"""The gateway's readiness waits on the services it cannot work without (identity,
tickets, notify, sla) and never on mail intake, which is optional: real gRPC servers with
the standard health service on loopback for the services that are up, free ports nobody
listens on for those that are down."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable

import httpx

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.trust import Mesh, passport_verifier

BACKENDS = ("identity", "tickets", "notify", "sla", "mailin")


async def _no_keys() -> dict[str, bytes]:
    return {}


@contextlib.asynccontextmanager
async def gateway_with(up: Iterable[str], mesh: Callable[[str], Mesh]) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose backends named in ``up`` answer their health checks; the others are away."""
    servers = {
        name: GrpcServer(
            port=free_port(), service_names=[], mesh=mesh(name), passports=passport_verifier(_no_keys)
        )
        for name in up
    }
    for server in servers.values():
        await server.start()
    addr = {name: f"127.0.0.1:{servers[name].port if name in servers else free_port()}" for name in BACKENDS}
    settings = Settings(
        identity_addr=addr["identity"],
        tickets_addr=addr["tickets"],
        notify_addr=addr["notify"],
        sla_addr=addr["sla"],
        mailin_addr=addr["mailin"],
        tls_dir=mesh("gateway").tls_dir,
    )
    clients = Clients.connect(settings)
    try:
        transport = httpx.ASGITransport(app=build_app(clients))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield http
    finally:
        await clients.close()
        for server in servers.values():
            await server.stop(0)


async def test_the_gateway_is_ready_while_mail_intake_is_down(mesh: Callable[[str], Mesh]) -> None:
    async with gateway_with(["identity", "tickets", "notify", "sla"], mesh) as gateway:
        resp = await gateway.get("/readyz")
    assert resp.status_code == 200, resp.text


async def test_the_gateway_is_not_ready_while_a_required_service_is_down_even_with_mail_intake_up(
    mesh: Callable[[str], Mesh],
) -> None:
    async with gateway_with(["identity", "tickets", "notify", "mailin"], mesh) as gateway:
        resp = await gateway.get("/readyz")
    assert resp.status_code == 503
    assert "sla" in resp.text and "mailin" not in resp.text
