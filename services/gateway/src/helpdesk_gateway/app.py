"""Composition root of the gateway: the public HTTP surface."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response

from helpdesk_gateway import api, web
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.http import create_app, http_server, problem
from helpdesk_kit.runtime import start_process
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import passport_verifier

SERVICE = "gateway"


async def _on_value_error(_: Request, exc: Exception) -> Response:
    """A number too large for the services' 64-bit fields (an id in a path or a body)
    is bad input, not a server fault; any other ValueError still is one."""
    if str(exc).startswith("Value out of range"):
        return problem(422, "A number in the request is out of range.")
    raise exc


def build_app(clients: Clients) -> FastAPI:
    checks: Any = clients.health_checks()
    app = create_app(service=SERVICE, readiness=checks, openapi_url="/api/v1/openapi.json")
    app.state.clients = clients
    app.add_exception_handler(ValueError, _on_value_error)
    app.state.verifier = TokenVerifier(clients.fetch_keys)
    app.state.passports = passport_verifier(clients.fetch_keys)
    app.include_router(api.router)
    web.mount(app)
    return app


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    clients = Clients.connect(settings)
    life.on_stop(clients.close)
    life.serve_http(http_server(build_app(clients), port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    """The gateway keeps nothing durable: there is nothing to migrate."""
