"""A hoisted route answers exactly as the original did, and only a safe one is hoisted."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from helpdesk_gateway.api.shapes import ApiRoute, api_router
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.hot_routes import HOT, NotHoistable, hoist


def _nested_app(seen: list[str]) -> FastAPI:
    """An app shaped like the gateway's: routes two includes deep, a dependency added by the outer one."""

    async def counted(request: Request) -> None:
        seen.append(request.url.path)

    inner = api_router(prefix="/api/v1")

    @inner.get("/things/{thing_id}")
    async def one_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @inner.post("/things", status_code=201)
    async def make_thing() -> dict[str, bool]:
        return {"made": True}

    @inner.get("/things")
    async def list_things() -> list[int]:
        return []

    middle = api_router()
    middle.include_router(inner)
    app = FastAPI()
    app.include_router(middle, dependencies=[Depends(counted)])
    return app


async def _exchange(app: FastAPI) -> list[tuple[int, str, bytes]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        answers = [
            await http.post("/api/v1/things"),
            await http.get("/api/v1/things"),  # the same path by another method: its own route
            await http.put("/api/v1/things"),  # no route: 405 naming what is allowed
            await http.post("/api/v1/things/"),  # the slash redirect
        ]
    return [(a.status_code, a.headers.get("allow", ""), a.content) for a in answers]


async def test_a_hoisted_route_runs_the_dependencies_of_its_includes_and_answers_the_same() -> None:
    seen_before: list[str] = []
    before = await _exchange(_nested_app(seen_before))
    seen: list[str] = []
    app = _nested_app(seen)
    document = app.openapi()
    app.openapi_schema = None
    hoist(app, [("POST", "/api/v1/things")])
    assert isinstance(app.router.routes[0], ApiRoute), "the copy is not first"
    assert app.openapi() == document, "the copy changed the document"
    assert await _exchange(app) == before
    assert before[0][0] == 201
    assert seen == seen_before == ["/api/v1/things", "/api/v1/things"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/things/{thing_id}"),  # a path with parameters
        ("GET", "/api/v1/things/7"),  # not a route's own path: a parameter route takes it
        ("GET", "/api/v1/things"),  # the first route of that path is the POST one (its 405 would change)
        ("POST", "/api/v1/nothing"),  # no route at all
    ],
)
def test_only_a_literal_path_first_matched_by_its_own_route_can_be_hoisted(method: str, path: str) -> None:
    app = _nested_app([])
    with pytest.raises(NotHoistable):
        hoist(app, [(method, path)])


async def test_the_gateway_hoists_its_hot_routes_without_changing_its_document(
    offline_clients: Clients,
) -> None:
    app = build_app(offline_clients)
    first = app.router.routes[: len(HOT)]
    hoisted = [(sorted(r.methods)[0], r.path) for r in first if isinstance(r, ApiRoute)]
    document = app.openapi()
    # Without the copies the table (and so the document) is the one FastAPI builds.
    app.router.routes[: len(HOT)] = []
    app.openapi_schema = None
    assert app.openapi() == document
    assert hoisted == list(HOT)
