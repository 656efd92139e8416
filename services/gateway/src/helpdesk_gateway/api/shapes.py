"""Shapes shared by the REST routers: their route class, strict request bodies, time stamps.

Every router of the API is made by :func:`api_router`, whose routes (:class:`ApiRoute`)
read JSON bodies with orjson: a string holding a lone surrogate (``"\\ud800"``), which
Python's own decoder accepts and nothing after it can encode, is then malformed JSON —
a 422 like any other — instead of a failure deep in a handler. Routes answer with the
models of ``api.models`` and no custom response class, so FastAPI writes them to JSON
in pydantic's core directly.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict

from helpdesk_gateway.clients import Clients
from helpdesk_kit.timestamps import to_rfc3339


class _OrjsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # orjson.JSONDecodeError is a json.JSONDecodeError: FastAPI answers it as bad input.
            self._json = orjson.loads(await self.body())
        return self._json


class ApiRoute(APIRoute):
    """The route class of every REST route (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict_json(request: Request) -> Response:
            return await handle(_OrjsonRequest(request.scope, request.receive))

        return strict_json


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for REST routes: ``ApiRoute``s answering with ``api.models``."""
    return APIRouter(route_class=ApiRoute, **kwargs)


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def ts(value: Timestamp) -> str | None:
    """A protobuf Timestamp as RFC 3339, or None when unset."""
    return to_rfc3339(value)


def clients(request: Request) -> Clients:
    c: Clients = request.app.state.clients
    return c
