"""Fixtures: realtime replicas served in-process on free ports, against real NATS and Redis.

Tokens are signed here with a test key that the replicas' verifier is given
(the same EdDSA JWTs identity issues); who may see a ticket is a fake of the
TicketAccess interface; everything else is real: uvicorn, WebSockets, NATS, Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import nats
import orjson
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client as NATS
from redis.asyncio import Redis

from helpdesk_devstack.servers import free_port
from helpdesk_kit.http import http_server
from helpdesk_kit.streams import MSG_ID_HEADER
from helpdesk_realtime.app import ActiveSessions, ActiveUsers, running
from helpdesk_realtime.config import Settings
from helpdesk_realtime.domain import Viewer

KID = "test-key"
_KEY = Ed25519PrivateKey.generate()
_PUBLIC_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def token(
    user_id: int,
    *,
    kind: str = "staff",
    role: str | None = "unit_member",
    units: list[int] | None = None,
    ttl: float = 600,
    login: str | None = None,
    sid: str | None = None,
    name: str | None = None,
    admin: bool = False,
) -> str:
    now = time.time()
    claims = {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": str(user_id),
        "iat": int(now),
        "exp": now + ttl,
        "login": login or f"user{user_id}",
        "kind": kind,
        "role": role if kind == "staff" else None,
        "units": units or [],
        "adm": admin,
        "cg": None,
        "cgl": False,
        **({"sid": sid} if sid else {}),
        **({"name": name} if name else {}),
    }
    return jwt.encode(claims, _KEY, algorithm="EdDSA", headers={"kid": KID})


async def fetch_keys() -> dict[str, bytes]:
    return {KID: _PUBLIC_PEM}


@dataclass
class FakeAccess:
    """Stands in for the tickets service: which users may see which tickets."""

    allowed: set[tuple[int, int]] = field(default_factory=set)

    async def can_view(self, viewer: Viewer, ticket_id: int, *, session_id: str) -> bool:
        return (viewer.user_id, ticket_id) in self.allowed


@dataclass
class Replica:
    url: str
    nc: NATS

    def ws(self, tok: str, **query: object) -> str:
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"{self.url}/ws?token={tok}{extra}"


@dataclass
class Env:
    nats_url: str
    redis_url: str
    access: FakeAccess
    publisher: NATS

    @contextlib.asynccontextmanager
    async def replica(
        self,
        *,
        active_users: ActiveUsers | None = None,
        active_sessions: ActiveSessions | None = None,
        **settings: Any,
    ) -> AsyncIterator[Replica]:
        port = free_port()
        s = Settings(
            nats_url=self.nats_url,
            redis_url=self.redis_url,
            identity_addr="127.0.0.1:1",
            tickets_addr="127.0.0.1:1",
            http_port=port,
            presence_ttl_seconds=settings.pop("presence_ttl_seconds", 3.0),
            public_url=settings.pop("public_url", "https://desk.example"),
            **settings,
        )
        nc = await nats.connect(self.nats_url)
        redis = Redis.from_url(self.redis_url)
        try:
            async with running(
                s,
                nc=nc,
                redis=redis,
                fetch_keys=fetch_keys,
                access=self.access,
                active_users=active_users,
                active_sessions=active_sessions,
            ) as rt:
                server = http_server(rt.app, port=port)
                serving = asyncio.create_task(server.serve())
                while not server.started:  # noqa: ASYNC110 - uvicorn only offers a flag
                    await asyncio.sleep(0.01)
                try:
                    yield Replica(url=f"ws://127.0.0.1:{port}", nc=nc)
                finally:
                    server.should_exit = True
                    await asyncio.wait_for(serving, timeout=10)
        finally:
            await nc.close()
            await redis.aclose()

    async def publish(self, subject: str, message: Any, msg_id: str) -> None:
        """As the outbox relay does: the protobuf payload with its outbox id."""
        await self.publisher.publish(subject, message.SerializeToString(), headers={MSG_ID_HEADER: msg_id})
        await self.publisher.flush()


@pytest.fixture
async def env(nats_url: str, redis_url: str) -> AsyncIterator[Env]:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    publisher = await nats.connect(nats_url)
    try:
        yield Env(nats_url=nats_url, redis_url=redis_url, access=FakeAccess(), publisher=publisher)
    finally:
        await publisher.close()


@pytest.fixture
def make_token() -> Callable[..., str]:
    return token


async def recv(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    msg: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
    return msg


async def drain(ws: Any, quiet: float = 0.3) -> list[dict[str, Any]]:
    """Everything the socket receives until it stays quiet for ``quiet`` seconds."""
    out: list[dict[str, Any]] = []
    while True:
        try:
            out.append(await recv(ws, timeout=quiet))
        except TimeoutError:
            return out


@pytest.fixture
def io() -> Any:
    """recv / drain / connect helpers for tests (conftest is not importable under importlib)."""

    class IO:
        recv = staticmethod(recv)
        drain = staticmethod(drain)
        connect = staticmethod(websockets.connect)

    return IO
