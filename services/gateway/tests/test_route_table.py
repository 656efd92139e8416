"""docs/api-conventions.md's route table lists exactly the routes the gateway's OpenAPI
document describes: a route added, renamed or removed without the docs fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.api.models.base import Out
from helpdesk_gateway.api.shapes import ApiRoute
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_gateway.ratelimits import RULES

DOC = Path(__file__).parents[3] / "docs" / "api-conventions.md"
_ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `(/api(?:/v1/[^`]*|\.php)?)` \|", re.MULTILINE)


def documented_routes() -> set[tuple[str, str]]:
    """(verb, path) of every row of the route table, up to the routes outside the OpenAPI."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Route table", 1)[1].split("### Outside the OpenAPI document", 1)[0]
    return {(verb, path) for verb, path in _ROW.findall(table)}


async def served_routes(clients: Clients) -> set[tuple[str, str]]:
    """(verb, path) of every operation in the OpenAPI document the gateway serves."""
    transport = httpx.ASGITransport(app=build_app(clients))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        spec = (await http.get("/api/v1/openapi.json")).raise_for_status().json()
    return {(verb.upper(), path) for path, ops in spec["paths"].items() for verb in ops}


async def test_the_route_table_in_the_docs_lists_every_served_route_and_no_other(
    offline_clients: Clients,
) -> None:
    documented, served = documented_routes(), await served_routes(offline_clients)
    assert len(served) > 80, "the OpenAPI document lost its routes"
    assert sorted(served - documented) == [], "served but missing from docs/api-conventions.md"
    assert sorted(documented - served) == [], "in docs/api-conventions.md but not served"


async def test_every_api_route_reads_json_strictly_and_answers_with_a_model_of_the_contract() -> None:
    nobody = f"127.0.0.1:{free_port()}"
    settings = Settings(
        identity_addr=nobody,
        tickets_addr=nobody,
        sla_addr=nobody,
        notify_addr=nobody,
        portal_addr=nobody,
        grpc_insecure=True,
    )
    clients = Clients.connect(settings)
    app = build_app(clients)
    await clients.close()
    untyped, seen = [], 0
    # Included routers stay nested in the app (FastAPI keeps them as branches): walk them.
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, str(context.path)
        if not isinstance(route, APIRoute) or not path.startswith("/api/"):
            continue
        seen += 1
        name = f"{sorted(route.methods)} {path}"
        if not isinstance(route, ApiRoute):
            untyped.append(f"{name}: not made by api_router()")
        elif route.status_code == 204 or route.response_class is StreamingResponse:
            continue
        elif not (isinstance(route.response_model, type) and issubclass(route.response_model, Out)):
            untyped.append(f"{name}: answers {route.response_model!r}, not a model of api/models")
    assert seen > 80, "the API's routes were not found"
    assert untyped == [], "docs/api-conventions.md § Adding a route"


async def test_every_operation_documents_its_answer_and_its_problems() -> None:
    nobody = f"127.0.0.1:{free_port()}"
    settings = Settings(
        identity_addr=nobody,
        tickets_addr=nobody,
        sla_addr=nobody,
        notify_addr=nobody,
        portal_addr=nobody,
        grpc_insecure=True,
    )
    clients = Clients.connect(settings)
    try:
        transport = httpx.ASGITransport(app=build_app(clients))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            spec = (await http.get("/api/v1/openapi.json")).raise_for_status().json()
    finally:
        await clients.close()
    assert "HTTPValidationError" not in str(spec)
    for verb, path in RULES:  # a rate-limited route says it may answer 429
        assert "429" in spec["paths"][path][verb.lower()]["responses"], (verb, path)
    assert set(spec["components"]["securitySchemes"]) == {"accessToken", "apiToken"}
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            # ZENLIX's API: its own envelope, but every answer still says what it carries.
            assert path in {"/api", "/api.php"}, path
            for verb, op in ops.items():
                for status, answer in op["responses"].items():
                    assert answer.get("content"), (verb, path, status)
            continue
        for verb, op in ops.items():
            _check_operation(verb, path, op)


def _check_operation(verb: str, path: str, op: dict[str, Any]) -> None:
    """One /api/v1 operation documents its answer, its problems and its security."""
    answers = op["responses"]
    ok = [s for s in answers if s.startswith("2")]
    assert len(ok) == 1, (verb, path, answers)
    if ok[0] != "204":
        assert answers[ok[0]].get("content"), (verb, path)
    assert answers["503"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    if op.get("parameters") or op.get("requestBody"):
        assert "422" in answers, (verb, path)
    if path.startswith("/api/v1/portal"):
        assert "404" in answers, (verb, path)  # every portal route, while it is off
    if not path.startswith("/api/v1/auth/"):
        tokens = [{"accessToken": []}, {"apiToken": []}]
        # The portal's reads and helpful votes are open to anonymous visitors: "or none".
        anonymous_too = path.startswith("/api/v1/portal") and (verb == "get" or path.endswith("/helpful"))
        assert op.get("security") == ([*tokens, {}] if anonymous_too else tokens), (verb, path)
