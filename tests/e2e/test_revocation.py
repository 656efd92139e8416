"""Revocation end to end, every service a process: identity's facts reach every gateway
replica and realtime at once (well before their 5 s / 10 s re-checks), and sockets open
only from the site's own pages."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import websockets
import websockets.exceptions
from websockets.typing import Origin

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.stack import Stack

from .conftest import bearer, login

pytestmark = pytest.mark.e2e

# Far under the gateway's re-check (5 s) and realtime's (10 s): only the event can be this quick.
AT_ONCE = 2.0


@pytest.fixture(scope="module")
def second_gateway(stack: Stack) -> Iterator[httpx.Client]:
    """Another gateway process beside the stack's, as a second replica behind a load balancer."""
    port = free_port()
    env = {**stack.service_env("gateway"), "HELPDESK_HTTP_PORT": str(port)}
    log = open(stack.log_dir / "gateway-2.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpdesk_gateway", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(300):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, "the second gateway exited"
                time.sleep(0.1)
            else:
                raise AssertionError("the second gateway never answered")
            time.sleep(0.5)  # its NATS subscription is made just after it starts serving
            yield client
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def member(api: httpx.Client, admin_token: str) -> tuple[str, str]:
    name = f"rev{secrets.token_hex(4)}"
    body = {
        "login": name,
        "password": "rev-password",
        "full_name": "Rev",
        "kind": "staff",
        "role": "unit_member",
    }
    assert api.post("/api/v1/users", json=body, headers=bearer(admin_token)).status_code == 201
    return name, login(api, name, "rev-password")


def within(seconds: float, check: Callable[[], bool]) -> float | None:
    """How long ``check`` took to hold, or None when it did not within ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_a_revoked_api_token_is_refused_at_once_by_every_gateway_replica(
    api: httpx.Client, admin_token: str, second_gateway: httpx.Client
) -> None:
    _, access = member(api, admin_token)
    created = api.post("/api/v1/me/tokens", json={"name": "ci"}, headers=bearer(access)).json()
    token = bearer(created["token"])
    for gateway in (api, second_gateway):  # each replica now holds the token's passport
        assert gateway.get("/api/v1/me", headers=token).status_code == 200
    assert api.delete(f"/api/v1/me/tokens/{created['id']}", headers=bearer(access)).status_code == 204
    assert api.get("/api/v1/me", headers=token).status_code == 401  # the very next request
    took = within(AT_ONCE, lambda: second_gateway.get("/api/v1/me", headers=token).status_code == 401)
    assert took is not None, "the other replica kept the revoked token"


def test_a_password_set_by_an_admin_signs_the_user_out_of_every_replica_at_once(
    api: httpx.Client, admin_token: str, second_gateway: httpx.Client
) -> None:
    name, access = member(api, admin_token)
    me = api.get("/api/v1/me", headers=bearer(access)).json()
    assert second_gateway.get("/api/v1/me", headers=bearer(access)).status_code == 200
    reset = api.patch(
        f"/api/v1/users/{me['id']}", json={"password": "new-password"}, headers=bearer(admin_token)
    )
    assert reset.status_code == 200
    for gateway in (api, second_gateway):
        took = within(
            AT_ONCE, lambda g=gateway: g.get("/api/v1/me", headers=bearer(access)).status_code == 401
        )
        assert took is not None, f"a session outlived the password reset on {gateway.base_url}"
    assert login(api, name, "new-password")


async def test_signing_out_closes_the_sessions_socket_at_once(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    _, access = member(api, admin_token)
    url = stack.gateway_url.replace("http://", "ws://") + f"/ws?token={access}"
    async with websockets.connect(url, origin=Origin(stack.gateway_url)) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        assert api.post("/api/v1/auth/logout", headers=bearer(access)).status_code == 204
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), AT_ONCE)
    assert closed.value.rcvd is not None and closed.value.rcvd.reason == "session ended"


async def test_a_socket_from_another_sites_page_is_refused_with_a_valid_cookie(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    _, access = member(api, admin_token)
    url = stack.gateway_url.replace("http://", "ws://") + "/ws"
    cookie = {"Cookie": f"helpdesk_access={access}"}
    for origin in ("https://evil.example", None):  # another site's page; a program with a cookie
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(
                url, origin=Origin(origin) if origin else None, additional_headers=cookie
            ):
                pass
        assert refused.value.response.status_code == 403
    async with websockets.connect(url, origin=Origin(stack.gateway_url), additional_headers=cookie) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
    async with websockets.connect(url, additional_headers=bearer(access)) as ws:  # a program
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
