"""The gateway's ``/ws`` proxy admits only pages of the configured origins, and programs only
with an ``Authorization`` header — before it opens anything upstream.

The gateway app is served by uvicorn on a free port; upstream is a plain WebSocket server
standing in for realtime's ``/ws``, recording what reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
import websockets.exceptions
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Origin

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.http import http_server

PUBLIC = "https://desk.example"


@dataclass
class Upstream:
    """Realtime's socket as the proxy sees it: says hello; remembers who reached it."""

    url: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, conn: ServerConnection) -> None:
        headers = conn.request.headers if conn.request else {}
        self.seen.append({k: headers.get(k, "") for k in ("Origin", "Authorization", "Cookie")})
        await conn.send('{"type": "hello"}')
        await conn.wait_closed()


@contextlib.asynccontextmanager
async def proxy() -> AsyncIterator[tuple[str, Upstream]]:
    upstream = Upstream()
    async with serve(upstream.handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        upstream.url = f"http://127.0.0.1:{port}"
        nobody = f"127.0.0.1:{free_port()}"
        clients = Clients.connect(
            Settings(
                identity_addr=nobody,
                tickets_addr=nobody,
                sla_addr=nobody,
                notify_addr=nobody,
                portal_addr=nobody,
                grpc_insecure=True,
                realtime_url=upstream.url,
                public_url=PUBLIC,
                ws_allowed_origins="https://intranet.example",
            )
        )
        gw_port = free_port()
        gateway = http_server(build_app(clients), port=gw_port)
        serving = asyncio.create_task(gateway.serve())
        while not gateway.started:  # noqa: ASYNC110 - uvicorn only offers a flag
            await asyncio.sleep(0.01)
        try:
            yield f"ws://127.0.0.1:{gw_port}/ws", upstream
        finally:
            gateway.should_exit = True
            await asyncio.wait_for(serving, timeout=10)
            await clients.close()


async def opened(url: str, **kw: Any) -> bool:
    try:
        async with websockets.connect(url, **kw) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)
    except websockets.exceptions.InvalidStatus as exc:
        assert exc.response.status_code == 403
        return False
    return True


async def test_pages_of_other_origins_are_refused_before_anything_reaches_realtime() -> None:
    async with proxy() as (url, upstream):
        for origin in ("https://evil.example", "http://desk.example", "null"):
            assert not await opened(f"{url}?token=t", origin=Origin(origin)), origin
        assert upstream.seen == []
        assert await opened(f"{url}?token=t", origin=Origin(PUBLIC))
        assert await opened(
            url, origin=Origin("https://intranet.example"), additional_headers={"Cookie": "a=b"}
        )
    assert [s["Origin"] for s in upstream.seen] == [PUBLIC, "https://intranet.example"]
    assert upstream.seen[1]["Cookie"] == "a=b"


@pytest.mark.parametrize(
    ("credential", "admitted"),
    [({"Cookie": "helpdesk_access=t"}, False), ({}, False), ({"Authorization": "Bearer t"}, True)],
)
async def test_a_program_without_an_origin_needs_the_authorization_header(
    credential: dict[str, str], admitted: bool
) -> None:
    async with proxy() as (url, upstream):
        assert await opened(url, additional_headers=credential) is admitted
    if admitted:  # passed on, for realtime to verify
        assert upstream.seen == [{"Origin": "", "Authorization": "Bearer t", "Cookie": ""}]
