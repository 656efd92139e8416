"""docs/api-conventions.md's route table lists exactly the routes the gateway's OpenAPI
document describes: a route added, renamed or removed without the docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings

DOC = Path(__file__).parents[3] / "docs" / "api-conventions.md"
_ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `(/api/v1/[^`]*)` \|", re.MULTILINE)


def documented_routes() -> set[tuple[str, str]]:
    """(verb, path) of every row of the route table, up to the routes outside the OpenAPI."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Route table", 1)[1].split("### Outside the OpenAPI document", 1)[0]
    return {(verb, path) for verb, path in _ROW.findall(table)}


async def served_routes() -> set[tuple[str, str]]:
    """(verb, path) of every operation in the OpenAPI document the gateway serves."""
    nobody = f"127.0.0.1:{free_port()}"  # the document needs no service to answer
    clients = Clients.connect(
        Settings(
            identity_addr=nobody,
            tickets_addr=nobody,
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            grpc_insecure=True,
        )
    )
    try:
        transport = httpx.ASGITransport(app=build_app(clients))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            spec = (await http.get("/api/v1/openapi.json")).raise_for_status().json()
    finally:
        await clients.close()
    return {(verb.upper(), path) for path, ops in spec["paths"].items() for verb in ops}


async def test_the_route_table_in_the_docs_lists_every_served_route_and_no_other() -> None:
    documented, served = documented_routes(), await served_routes()
    assert len(served) > 80, "the OpenAPI document lost its routes"
    assert sorted(served - documented) == [], "served but missing from docs/api-conventions.md"
    assert sorted(documented - served) == [], "in docs/api-conventions.md but not served"
