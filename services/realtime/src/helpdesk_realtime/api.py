"""The WebSocket endpoint: authenticate, register with the hub, pump events out."""

from __future__ import annotations

import asyncio
import contextlib
import time

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from helpdesk_kit.errors import Unauthenticated
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_realtime.hub import Hub

POLICY_VIOLATION = 1008


def add_routes(app: FastAPI, *, hub: Hub, verifier: TokenVerifier) -> None:
    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        token = socket.query_params.get("token") or socket.cookies.get("helpdesk_access", "")
        try:
            claims = await verifier.verify(token)
        except Unauthenticated as exc:
            await socket.close(code=POLICY_VIOLATION, reason=exc.detail)
            return
        await socket.accept()
        conn = hub.open(int(claims["sub"]), socket.send_text)
        pump = asyncio.create_task(conn.pump())
        expiry = asyncio.create_task(asyncio.sleep(max(claims["exp"] - time.time(), 0)))
        reader = asyncio.create_task(_read_until_closed(socket))
        await socket.send_json({"type": "hello", "user_id": conn.user_id})
        try:
            await asyncio.wait([pump, expiry, reader], return_when=asyncio.FIRST_COMPLETED)
        finally:
            hub.close(conn)
            for task in (pump, expiry, reader):
                task.cancel()
            if expiry.done() and not expiry.cancelled():
                with contextlib.suppress(RuntimeError):
                    await socket.close(code=POLICY_VIOLATION, reason="token expired")


async def _read_until_closed(socket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await socket.receive_text()
