"""Revocation is immediate on every gateway replica: identity publishes it (outbox → NATS)
and each replica drops what it holds at once.

Two gateway replicas beside the test's own, each re-checking sessions only every ten
minutes: whatever stops working here stopped because of the event, not the re-check.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import nats
import pytest

from helpdesk_gateway.app import build_app, follow_revocations
from helpdesk_gateway.clients import Clients
from helpdesk_kit.outbox import OutboxRelay

from .conftest import Env, bearer

NEVER = 600.0  # the replicas' re-check interval: longer than any test


@contextlib.asynccontextmanager
async def replica(env: Env, nats_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway replica following identity's revocations over NATS."""
    assert env.gateway_settings is not None
    clients = Clients.connect(env.gateway_settings)
    app = build_app(clients, revalidate_seconds=NEVER)
    feed = follow_revocations(app, nats_url)
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.connected.wait(), 10)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as api:
            yield api
    finally:
        feed.stop()
        await asyncio.wait_for(task, 10)
        await clients.close()


@pytest.fixture
async def replicas(env: Env, nats_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two replicas, with identity's outbox relayed to NATS as in production."""
    nc = await nats.connect(nats_url)
    relay = OutboxRelay(db=env.db, js=nc.jetstream(), service="identity", idle_poll_seconds=0.2)
    relaying = asyncio.create_task(relay.run())
    try:
        async with replica(env, nats_url) as a, replica(env, nats_url) as b:
            yield a, b
    finally:
        relay.stop()
        await asyncio.wait_for(relaying, 10)
        await nc.close()


async def soon(check: Callable[[], Awaitable[bool]], seconds: float = 2.0) -> bool:
    """Whether ``check`` holds within ``seconds`` (an event's trip: milliseconds)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def status_of(api: httpx.AsyncClient, path: str, token: str) -> Callable[[], Awaitable[int]]:
    async def get() -> int:
        return (await api.get(path, headers=bearer(token))).status_code

    return get


async def test_a_revoked_api_token_is_refused_on_the_very_next_request_on_every_replica(
    env: Env, replicas: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = replicas
    await env.create_user(login="pat", password="pat-password")
    headers = bearer(await env.token("pat", "pat-password"))
    created = (await a.post("/api/v1/me/tokens", json={"name": "script"}, headers=headers)).json()
    secret = created["token"]
    for api in (a, b):  # both replicas now hold the token's passport for ten minutes
        assert (await api.get("/api/v1/me", headers=bearer(secret))).status_code == 200
    assert (await a.delete(f"/api/v1/me/tokens/{created['id']}", headers=headers)).status_code == 204
    # The replica that revoked it: the very next request.
    assert (await a.get("/api/v1/me", headers=bearer(secret))).status_code == 401
    # The other one: as soon as the event arrives, not ten minutes later.
    refused = status_of(b, "/api/v1/me", secret)
    assert await soon(lambda: _is(refused, 401))


async def _is(status: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await status() == expected


async def test_a_logout_ends_the_session_on_every_replica_at_once(
    env: Env, replicas: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = replicas
    await env.create_user(login="quinn", password="quinn-password")
    token = await env.token("quinn", "quinn-password")
    for api in (a, b):
        assert (await api.get("/api/v1/me", headers=bearer(token))).status_code == 200
    assert (await a.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204
    assert await soon(lambda: _is(status_of(b, "/api/v1/me", token), 401))


async def test_a_demoted_admin_loses_admin_routes_on_every_replica_at_once(
    env: Env, replicas: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = replicas
    user = await env.create_user(login="rex", password="rex-password", is_admin=True)
    token = await env.token("rex", "rex-password")
    # The system page is decided by the gateway alone, with the passport it holds.
    for api in (a, b):
        assert (await api.get("/api/v1/system", headers=bearer(token))).status_code == 200
    demoted = await env.api.patch(f"/api/v1/users/{user['id']}", json={"is_admin": False}, headers=env.admin)
    assert demoted.status_code == 200
    for api in (a, b):
        assert await soon(lambda api=api: _is(status_of(api, "/api/v1/system", token), 403))
    # He is still signed in, with his new rights.
    assert (await b.get("/api/v1/me", headers=bearer(token))).status_code == 200


async def test_a_password_set_by_an_admin_ends_the_users_sessions_on_every_replica_at_once(
    env: Env, replicas: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = replicas
    user = await env.create_user(login="sid", password="sid-password")
    token = await env.token("sid", "sid-password")
    for api in (a, b):
        assert (await api.get("/api/v1/me", headers=bearer(token))).status_code == 200
    await env.api.patch(f"/api/v1/users/{user['id']}", json={"password": "new-password"}, headers=env.admin)
    for api in (a, b):
        assert await soon(lambda api=api: _is(status_of(api, "/api/v1/me", token), 401))
