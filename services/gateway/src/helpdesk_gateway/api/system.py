"""``GET /api/v1/system`` (also ``/system/info``): what an admin needs to see the installation is well.

Admins only. Three parts, gathered at once and each bounded by a short timeout,
so one thing being down shows as ``"down"`` instead of failing the page:

- ``versions``: Python and the installed helpdesk-* packages and key libraries;
- ``services``: each backend's standard gRPC health check on the gateway's own
  channels (realtime, which speaks only HTTP, by its ``/readyz``);
- ``queues``: JetStream streams (message counts) and each durable consumer's
  ``num_pending`` / ``num_ack_pending``, read over a short-lived NATS connection.

The NATS and realtime URLs are the gateway's settings ``HELPDESK_NATS_URL`` and
``HELPDESK_REALTIME_URL`` (both optional: without one, that part shows "down").
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import platform
from typing import Any

import nats
from fastapi import Request

from helpdesk_gateway.api.models.system import (
    ConsumerState,
    Queues,
    ServiceHealth,
    Status,
    StreamState,
    SystemInfo,
)
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.auth import AdminDep
from helpdesk_kit.rpc import check_health
from helpdesk_kit.streams import server_urls

router = api_router(prefix="/api/v1")

PACKAGES = (
    "helpdesk-gateway",
    "helpdesk-identity",
    "helpdesk-tickets",
    "helpdesk-sla",
    "helpdesk-notify",
    "helpdesk-realtime",
    "helpdesk-mailin",
    "helpdesk-portal",
    "helpdesk-kit",
    "helpdesk-proto",
    "fastapi",
    "uvicorn",
    "pydantic",
    "grpcio",
    "protobuf",
    "nats-py",
    "asyncpg",
    "redis",
)
QUEUES_TIMEOUT = 3.0
HTTP_TIMEOUT = 1.5


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


async def _grpc_status(channel: Any) -> Status:
    return "up" if await check_health(channel) else "down"


async def _http_status(base_url: str | None) -> Status:
    if not base_url:
        return "down"
    # Imported here: only the administrator's system page needs it, and with it loaded
    # (and what it brings along) every gateway would hold a few more MB from the start.
    import httpx

    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            resp = await http.get(base_url.rstrip("/") + "/readyz")
    except httpx.HTTPError:
        return "down"
    return "up" if resp.status_code == 200 else "down"


async def service_health(request: Request, realtime_url: str | None) -> list[ServiceHealth]:
    channels = clients(request).channels
    names = sorted(channels)
    checks = [_grpc_status(channels[name]) for name in names]
    results: list[Status] = await asyncio.gather(*checks, _http_status(realtime_url))
    out = [ServiceHealth.of(name="gateway", status="up")]
    out += [ServiceHealth.of(name=name, status=status) for name, status in zip(names, results, strict=False)]
    out.append(ServiceHealth.of(name="realtime", status=results[-1]))
    return out


async def _read_queues(url: str) -> list[StreamState]:
    nc = await nats.connect(
        server_urls(url),
        name="gateway-system",
        connect_timeout=2,
        allow_reconnect=False,
        max_reconnect_attempts=0,
    )
    try:
        jsm = nc.jsm()
        infos = sorted(await jsm.streams_info(), key=lambda s: s.config.name or "")
        names = [info.config.name or "" for info in infos]
        consumers = await asyncio.gather(*(jsm.consumers_info(name) for name in names))
        return [
            StreamState.of(
                name=name,
                messages=info.state.messages,
                bytes=info.state.bytes,
                consumers=sorted(
                    (
                        ConsumerState.of(
                            name=c.name or "",
                            num_pending=c.num_pending or 0,
                            num_ack_pending=c.num_ack_pending or 0,
                            num_redelivered=c.num_redelivered or 0,
                        )
                        for c in stream_consumers
                    ),
                    key=lambda c: c.name,
                ),
            )
            for name, info, stream_consumers in zip(names, infos, consumers, strict=True)
        ]
    finally:
        await nc.close()


async def queues(nats_url: str | None) -> Queues:
    if not nats_url:
        return Queues.of(status="down", streams=[])
    try:
        streams = await asyncio.wait_for(_read_queues(nats_url), QUEUES_TIMEOUT)
    except Exception:  # noqa: BLE001 - NATS down or slow: the page still shows the rest
        return Queues.of(status="down", streams=[])
    return Queues.of(status="up", streams=streams)


@router.get("/system")
@router.get("/system/info", include_in_schema=False)
async def system_info(admin: AdminDep, request: Request) -> SystemInfo:
    """``status`` is ``degraded`` while any part is down; the rest of the site keeps working."""
    env = clients(request).settings
    services, queue_state = await asyncio.gather(
        service_health(request, env.realtime_ops_url or env.realtime_url), queues(env.nats_url)
    )
    down = queue_state.status == "down" or any(s.status == "down" for s in services)
    return SystemInfo.of(
        status="degraded" if down else "ok", versions=versions(), services=services, queues=queue_state
    )
