"""The hottest routes, matched first: a flat copy of each at the head of the app's route list.

The API's routes sit in nested routers (the API router, one per service, one per part of
tickets). FastAPI walks those branches for every request, and a route far down the table
(``POST /api/v1/tickets`` comes after every identity route) paid about a fifth of the
gateway's CPU just to be found (bench/RESULTS.md § The gateway's hot path). A hoisted
route is an :class:`~helpdesk_gateway.api.shapes.ApiRoute` built from the effective route
— the same endpoint, status, answer model, and every dependency the includes added (the
rate limits' ``enforce``) — placed before everything else, so it is found at the first
comparison. The original stays where it was: the OpenAPI document is made from it (the
copy is left out), and it still answers whatever the copy does not match.

A copy may run a *lean* endpoint instead (``LEAN``): one that takes the route's
parameters and body as the original does, but does the includes' dependencies itself in a
single one of its own (``ratelimits.limited_caller``: FastAPI solved four per request —
the rate limits, the caller and his two security schemes — the most of the gateway's
own CPU left after the walk) and writes its answer straight to JSON. It must answer
whatever the original answers, error by error and byte for byte (test_hot_routes).

Only a literal path (no path parameters) can be hoisted, and only when the original is the
first route of the table to match that path with any method: the copy then answers
exactly the requests the original answered (a 405's ``Allow`` included), no route that
used to win is overtaken. :func:`hoist` refuses anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match

from helpdesk_gateway.api import tickets
from helpdesk_gateway.api.shapes import ApiRoute

# (method, path) of the routes hoisted: the ones every client calls most and that sit deep.
HOT: tuple[tuple[str, str], ...] = (("POST", "/api/v1/tickets"),)
# The hoisted routes whose copy runs a lean endpoint (see the module docstring).
LEAN: dict[tuple[str, str], Callable[..., Any]] = {("POST", "/api/v1/tickets"): tickets.create_ticket_lean}


class NotHoistable(RuntimeError):
    """A route :func:`hoist` must not copy to the front (see the module docstring)."""


def hoist(
    app: FastAPI,
    hot: Iterable[tuple[str, str]] = HOT,
    lean: Mapping[tuple[str, str], Callable[..., Any]] = LEAN,
) -> None:
    """Puts a flat copy of each route of ``hot`` at the head of ``app``'s routes; one in
    ``lean`` runs that endpoint without the includes' dependencies (it does their work)."""
    copies = [_flat_copy(app, method, path, lean.get((method, path))) for method, path in hot]
    app.router.routes[:0] = copies


def _flat_copy(app: FastAPI, method: str, path: str, lean: Callable[..., Any] | None) -> APIRoute:
    if "{" in path:
        raise NotHoistable(f"{path}: only literal paths can be hoisted")
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for context in iter_route_contexts(app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is None or not regex.match(path):
            continue
        # The first route of the table to take this path, whatever its method.
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path != path or method not in (context.methods or ()):
            raise NotHoistable(f"{method} {path}: the table's first route for it is {context.name!r}")
        copy = ApiRoute(
            path,
            lean or route.endpoint,
            response_model=context.response_model,
            status_code=context.status_code,
            tags=list(context.tags),
            dependencies=[] if lean else list(context.dependencies),
            summary=context.summary,
            description=context.description,
            response_description=context.response_description,
            responses=dict(context.responses),
            deprecated=context.deprecated,
            name=context.name,
            methods=list(context.methods or ()),
            operation_id=context.operation_id,
            response_model_include=context.response_model_include,
            response_model_exclude=context.response_model_exclude,
            response_model_by_alias=context.response_model_by_alias,
            response_model_exclude_unset=context.response_model_exclude_unset,
            response_model_exclude_defaults=context.response_model_exclude_defaults,
            response_model_exclude_none=context.response_model_exclude_none,
            # The document is made from the original, where it stands.
            include_in_schema=False,
            response_class=context.response_class,
            dependency_overrides_provider=app,
            callbacks=context.callbacks,
            openapi_extra=context.openapi_extra,
            strict_content_type=context.strict_content_type,
            max_body_size=context.max_body_size,
        )
        if copy.matches(scope)[0] is not Match.FULL:
            raise NotHoistable(f"{method} {path}: the copy does not match it")
        return copy
    raise NotHoistable(f"{method} {path}: no route of the table takes it")
