"""``GET /ws`` on the gateway's origin: a WebSocket proxy to the realtime service.

In Kubernetes the ingress routes ``/ws`` straight to ``realtime``; on one machine
(devstack) the browser only knows the gateway's origin, so the gateway relays
the socket, frame by frame in both directions. It checks the page's ``Origin``
as realtime does (``helpdesk_kit.origins``: the public URL's origin and
``HELPDESK_WS_ALLOWED_ORIGINS``; no ``Origin`` — a program — only with an
``Authorization`` header) and leaves authentication to realtime (the token from the
header, ``?token=`` or the ``helpdesk_access`` cookie, all passed on with the
``Origin``); a refusal upstream is a refusal here, and close codes and reasons travel
both ways.
"""

from __future__ import annotations

import asyncio
import contextlib

import websockets
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Origin

from helpdesk_gateway.config import Settings
from helpdesk_kit.origins import OriginPolicy

router = APIRouter()

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def realtime_ws_url(url: str | None) -> str | None:
    if not url:
        return None
    return url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/ws"


@router.websocket("/ws")
async def ws(socket: WebSocket) -> None:
    settings: Settings = socket.app.state.clients.settings
    base = realtime_ws_url(settings.realtime_url)
    if base is None:
        await socket.close(code=TRY_AGAIN_LATER, reason="realtime is not configured")
        return
    origin = socket.headers.get("origin")
    authorization = socket.headers.get("authorization", "")
    policy: OriginPolicy = socket.app.state.origins
    refusal = policy.refusal(origin, bearer=authorization.lower().startswith("bearer "))
    if refusal is not None:
        await socket.close(code=POLICY_VIOLATION, reason=refusal)
        return
    query = socket.url.query
    headers = {}
    if cookie := socket.headers.get("cookie"):
        headers["Cookie"] = cookie
    if authorization:
        headers["Authorization"] = authorization
    try:
        upstream = await websockets.connect(
            f"{base}?{query}" if query else base,
            additional_headers=headers,
            origin=Origin(origin) if origin is not None else None,
            max_size=None,
            open_timeout=5,
        )
    except InvalidStatus:
        await socket.close(code=POLICY_VIOLATION, reason="not authenticated")
        return
    except (OSError, TimeoutError, WebSocketException):
        await socket.close(code=TRY_AGAIN_LATER, reason="realtime is unavailable")
        return
    await socket.accept()
    try:
        down = asyncio.create_task(_to_client(upstream, socket))
        up = asyncio.create_task(_to_upstream(socket, upstream))
        done, pending = await asyncio.wait([down, up], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    finally:
        await upstream.close()
    code, reason = upstream.close_code, upstream.close_reason or ""
    if down in done and code is not None:
        with contextlib.suppress(RuntimeError):
            await socket.close(code=code, reason=reason)


async def _to_client(upstream: ClientConnection, socket: WebSocket) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in upstream:
            if isinstance(message, bytes):
                await socket.send_bytes(message)
            else:
                await socket.send_text(message)


async def _to_upstream(socket: WebSocket, upstream: ClientConnection) -> None:
    with contextlib.suppress(WebSocketDisconnect, ConnectionClosed):
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])
