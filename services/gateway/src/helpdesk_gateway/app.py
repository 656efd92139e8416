"""Composition root of the gateway: the public HTTP surface."""

from __future__ import annotations

import asyncio

from fastapi import Depends, FastAPI, Request, Response

from helpdesk_gateway import api, openapi, web
from helpdesk_gateway.api import zenlix
from helpdesk_gateway.auth import REVALIDATE_SECONDS, SessionGuard
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_gateway.consumers import RevocationFeed, Revocations
from helpdesk_gateway.edge import Edge
from helpdesk_gateway.hot_routes import hoist
from helpdesk_gateway.ratelimits import RateLimits, enforce
from helpdesk_gateway.ratewindows import Windows
from helpdesk_kit.http import create_app, http_server, problem
from helpdesk_kit.logs import get_logger
from helpdesk_kit.origins import OriginPolicy
from helpdesk_kit.runtime import start_process
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import passport_verifier

SERVICE = "gateway"
log = get_logger(__name__)


async def _on_value_error(_: Request, exc: Exception) -> Response:
    """A number too large for the services' 64-bit fields (an id in a path or a body)
    is bad input, not a server fault; any other ValueError still is one."""
    if str(exc).startswith("Value out of range"):
        return problem(422, "A number in the request is out of range.")
    raise exc


def build_app(clients: Clients, *, revalidate_seconds: float = REVALIDATE_SECONDS) -> FastAPI:
    settings = clients.settings
    # Ready means this process serves: no backend is checked. A service that is down
    # makes its own routes answer 503 and shows on /api/v1/system; taking the gateway out
    # of the load balancer for it would take every other route down too
    # (docs/operations.md § Readiness).
    app = create_app(
        service=SERVICE, readiness={}, openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None
    )
    app.state.clients = clients
    app.add_exception_handler(ValueError, _on_value_error)
    app.state.verifier = TokenVerifier(clients.fetch_keys)
    app.state.passports = passport_verifier(clients.fetch_keys)
    app.state.session_guard = SessionGuard(clients.identity, app.state.passports, ttl=revalidate_seconds)
    app.state.origins = OriginPolicy.of(settings.public_url, settings.ws_allowed_origins)
    app.state.rate_limits = RateLimits(settings, Windows(settings.redis_url)) if settings.redis_url else None
    if app.state.rate_limits is None:
        log.warning("gateway.no_rate_limits", reason="HELPDESK_REDIS_URL is not set")
    # Every API route passes the rate-limit table first (ratelimits.RULES); routes need not know.
    app.include_router(api.router, dependencies=[Depends(enforce)])
    # ZENLIX's API counts its creates and comments against the same limits (api/zenlix/context.py).
    app.include_router(zenlix.router)
    web.mount(app)
    openapi.install(app)
    # The busiest routes are found first instead of at the end of the nested routers' walk.
    hoist(app)
    # Body limits, quota fields and page security headers: one layer (edge.py).
    app.add_middleware(
        Edge, json_bytes=settings.max_json_body_bytes, upload_bytes=settings.max_upload_body_bytes
    )
    return app


def follow_revocations(app: FastAPI, nats_url: str) -> RevocationFeed:
    """Identity's revocations applied to whatever session guard the app holds."""
    return RevocationFeed(nats_url, Revocations(lambda: app.state.session_guard))


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    clients = Clients.connect(settings)
    life.on_stop(clients.close)
    app = build_app(clients)
    if settings.nats_url:
        feed = follow_revocations(app, settings.nats_url)
        task = life.spawn(feed.run(), name="revocations")

        async def stop_feed() -> None:
            feed.stop()
            await asyncio.wait([task], timeout=5)

        life.on_stop(stop_feed)
    else:
        log.warning("gateway.no_revocation_events", reason="HELPDESK_NATS_URL is not set: 5 s re-checks only")
    server = http_server(
        app, port=settings.http_port, host=settings.bind_host, trusted_proxies=settings.trusted_proxies
    )
    life.serve_http(server)
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    """The gateway keeps nothing durable: there is nothing to migrate."""
