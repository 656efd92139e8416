"""The OpenAPI document of ``/api/v1``: the contract, completed by convention.

FastAPI describes each route from its signature (parameters, request model, response
model, security). This module adds what follows from the route's shape, so that a new
route is documented fully without repeating it:

- every error is ``application/problem+json`` with the ``Problem`` schema (FastAPI's own
  422 shape, which we never send, is removed): 422 for any route taking input, 400 and
  413 for a body, 401 and 403 for a signed-in route, 404 for a path naming an object
  (and every portal route: all 404 while the portal is switched off),
  409 for a change, 412 for ``If-Match``, 429 and 503 everywhere
  (a service behind the route is down). A route adds others with ``responses=``.
- a route that takes the viewer (``auth.ViewerDep``: the portal's public reads) is open to
  anonymous visitors too: its security lists "none" beside the two token schemes.
- every answer of ``/api/v1`` may carry the general rate limit's ``RateLimit-Limit``,
  ``RateLimit-Remaining`` and ``RateLimit-Reset`` fields (``ratelimits``), and 429 may
  answer any of its routes (the general limit applies to all of them).
- links from each create (``POST /things`` answering ``{"id": ...}``) to the operations
  on the created object (``/things/{thing_id}`` and below), which is what stateful
  clients and fuzzers follow.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from helpdesk_gateway.api.models.base import Problem
from helpdesk_gateway.auth import current_viewer

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# The general limit's fields (ratelimits.Quota), on every answer while a limit is set.
QUOTA_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "requests the limit allows"},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "requests left of it"},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "seconds until more are allowed"},
}
QUOTA_HEADER_REFS = {name: {"$ref": f"#/components/headers/{name}"} for name in QUOTA_HEADERS}
# Routes that answer 404 on every path while their service is switched off (the portal).
SWITCHED_OFF_404 = "/api/v1/portal"
_MUTATING = {"post", "put", "patch", "delete"}
_ID_PARAM = re.compile(r"^\{(\w+_id)\}$")


def install(app: FastAPI) -> None:
    """Serves the completed document at the app's ``openapi_url`` (built once, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title="Helpdesk API",
                version=app.version,
                description=DESCRIPTION,
                routes=app.routes,
            )
            complete(document, anonymous=anonymous_operations(app.routes))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


DESCRIPTION = (
    "The public REST API of the helpdesk. Conventions (errors, lists and cursors, "
    "ETags, idempotency, authentication): docs/api-conventions.md in the repository."
)


def anonymous_operations(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path) of the routes that take the viewer: a token is optional there.
    (Included routers stay nested in the app: their routes are walked with their prefixes.)"""
    return {
        (method.lower(), str(context.path_format))
        for context in iter_route_contexts(routes)
        if isinstance(route := context.original_route, APIRoute) and _takes(route.dependant, current_viewer)
        for method in context.methods or ()
    }


def _takes(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _takes(d, call) for d in dependant.dependencies)


def complete(document: dict[str, Any], anonymous: set[tuple[str, str]] | None = None) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    # Declared once and referred to from every answer: the document stays small enough for
    # the reference page to render quickly.
    document["components"]["headers"] = QUOTA_HEADERS
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue  # ZENLIX's API (/api, /api.php) answers in its own envelope and says so itself
        for method, operation in operations.items():
            if (method, path) in (anonymous or set()) and operation.get("security"):
                operation["security"] = [*operation["security"], {}]
            _add_problems(path, method, operation)
            for answer in operation["responses"].values():
                answer["headers"] = {**QUOTA_HEADER_REFS, **answer.get("headers", {})}
    _add_links(document)


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    params = operation.get("parameters", [])
    statuses = {503}
    if params or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if operation.get("security") or path.startswith("/api/v1/auth/"):
        # Signed-in routes, and sign-in itself (wrong password, a used or expired link).
        statuses |= {401, 403}
    if any(p["in"] == "path" for p in params) or path.startswith(SWITCHED_OFF_404):
        statuses.add(404)
    if method in _MUTATING:
        statuses |= {403, 404, 409}
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in params):
        statuses.add(412)
    # Every route passes the general limit (and some their own, or identity's and the
    # portal's counters of failed sign-ins, posts, ...).
    statuses.add(429)
    return statuses


def _add_problems(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(_statuses(path, method, operation)):
        answer: dict[str, Any] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
        if status == 429:
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        existing = responses.get(str(status))
        if existing is None or "HTTPValidationError" in str(existing):
            responses[str(status)] = answer


def _add_links(document: dict[str, Any]) -> None:
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for collection, operations in paths.items():
        create = operations.get("post")
        created = (create or {}).get("responses", {}).get("201")
        if create is None or created is None:
            continue
        links: dict[str, Any] = {}
        for path, item_ops in paths.items():
            rest = path.removeprefix(collection + "/")
            if rest == path:
                continue
            first = rest.split("/", 1)[0]
            match = _ID_PARAM.match(first)
            if match is None:
                continue
            for op in item_ops.values():
                links[op["operationId"]] = {
                    "operationId": op["operationId"],
                    "parameters": {match.group(1): "$response.body#/id"},
                }
        if links:
            created["links"] = links
