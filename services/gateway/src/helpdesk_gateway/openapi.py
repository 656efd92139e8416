"""The OpenAPI document of ``/api/v1``: the contract, completed by convention.

FastAPI describes each route from its signature (parameters, request model, response
model, security). This module adds what follows from the route's shape, so that a new
route is documented fully without repeating it:

- every error is ``application/problem+json`` with the ``Problem`` schema (FastAPI's own
  422 shape, which we never send, is removed): 422 for any route taking input, 400 and
  413 for a body, 401 and 403 for a signed-in route, 404 for a path naming an object,
  409 for a change, 412 for ``If-Match``, 429 where a rate limit applies, 503 everywhere
  (a service behind the route is down). A route adds others with ``responses=``.
- links from each create (``POST /things`` answering ``{"id": ...}``) to the operations
  on the created object (``/things/{thing_id}`` and below), which is what stateful
  clients and fuzzers follow.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from helpdesk_gateway.api.models.base import Problem
from helpdesk_gateway.ratelimits import RULES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Routes that may answer 429: identity's limits on failed sign-ins, wrong current passwords
# and wrong one-time codes, and the gateway's table of per-user and per-address limits.
RATE_LIMITED = {
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/me/password"),
    ("patch", "/api/v1/me"),
    ("delete", "/api/v1/me/totp"),
    ("post", "/api/v1/me/totp/confirm"),
} | {(method.lower(), path) for method, path in RULES}
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
            complete(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


DESCRIPTION = (
    "The public REST API of the helpdesk. Conventions (errors, lists and cursors, "
    "ETags, idempotency, authentication): docs/api-conventions.md in the repository."
)


def complete(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue  # ZENLIX's API (/api, /api.php) answers in its own envelope and says so itself
        for method, operation in operations.items():
            _add_problems(path, method, operation)
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
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if method in _MUTATING:
        statuses |= {403, 404, 409}
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in params):
        statuses.add(412)
    if (method, path) in RATE_LIMITED:
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
