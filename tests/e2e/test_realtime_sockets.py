"""Realtime end to end: real WebSocket clients through the gateway's /ws, a second realtime replica."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
import websockets.exceptions
from websockets.typing import Origin

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.stack import Stack

from .conftest import bearer, login

pytestmark = pytest.mark.e2e


def gateway_ws(stack: Stack, token: str, **query: object) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return stack.gateway_url.replace("http://", "ws://") + f"/ws?token={token}{extra}"


def page_socket(stack: Stack, url: str) -> Any:
    """A socket as the web page opens it: from the site's own origin (the public URL)."""
    return websockets.connect(url, origin=Origin(stack.gateway_url))


def make_unit_with_member(api: httpx.Client, admin_token: str) -> tuple[int, int, str]:
    unit = api.post(
        "/api/v1/units", json={"name": f"Unit {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    name = f"rt{secrets.token_hex(4)}"
    user = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "member-password",
            "full_name": "Realtime Member",
            "kind": "staff",
            "role": "unit_member",
            "unit_ids": [unit_id],
        },
        headers=bearer(admin_token),
    )
    assert user.status_code == 201, user.text
    return unit_id, user.json()["id"], login(api, name, "member-password")


def create_ticket(api: httpx.Client, admin_token: str, unit_id: int, subject: str) -> dict[str, Any]:
    resp = api.post(
        "/api/v1/tickets",
        json={"subject": subject, "body": "body", "priority": "normal", "unit_id": unit_id},
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    ticket: dict[str, Any] = resp.json()
    return ticket


async def recv(ws: Any, timeout: float = 10) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
    return msg


async def collect(ws: Any, until: int, timeout: float = 10, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Messages until ``until`` notifications came (then quiet), or the timeout."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        popups = sum(m["type"] == "notification" for m in out)
        try:
            out.append(await recv(ws, timeout=quiet if popups >= until else deadline - time.monotonic()))
        except TimeoutError:
            if popups >= until:
                break
    return out


@pytest.fixture(scope="module")
def second_replica(stack: Stack) -> Iterator[str]:
    """Another realtime process on the same NATS and Redis: the base ws:// URL."""
    port = free_port()
    env = {**stack.service_env("realtime"), "HELPDESK_HTTP_PORT": str(port)}
    log = open(stack.log_dir / "realtime-2.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpdesk_realtime", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "the second realtime replica exited"
            time.sleep(0.1)
        else:
            raise AssertionError("the second realtime replica never became ready")
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def test_a_socket_on_the_gateways_origin_without_a_valid_token_is_refused(stack: Stack) -> None:
    for bad in ("", "not-a-token"):
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with page_socket(stack, gateway_ws(stack, bad)) as ws:
                await ws.recv()


async def test_a_new_ticket_reaches_its_units_member_through_the_gateway_and_nobody_else(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id, member_id, member_token = make_unit_with_member(api, admin_token)
    _, _, outsider_token = make_unit_with_member(api, admin_token)
    async with (
        page_socket(stack, gateway_ws(stack, member_token)) as member,
        page_socket(stack, gateway_ws(stack, outsider_token)) as outsider,
    ):
        assert await recv(member) == {"type": "hello", "user_id": member_id}
        await recv(outsider)
        ticket = create_ticket(api, admin_token, unit_id, "Realtime through the gateway")
        got = await collect(member, until=1)
        theirs = await collect(outsider, until=0, timeout=1)
    updates = [m for m in got if m["type"] == "ticket.updated"]
    popups = [m for m in got if m["type"] == "notification"]
    assert [(m["ticket_id"], m["event"], m["state"]) for m in updates] == [
        (ticket["id"], "TicketCreated", "new")
    ]
    assert [m["ticket_id"] for m in popups] == [ticket["id"]]
    assert all(isinstance(m["event_id"], int) for m in updates + popups)
    assert theirs == []


async def test_two_replicas_both_deliver_and_resume_after_a_disconnect_delivers_the_missed_once(
    stack: Stack, api: httpx.Client, admin_token: str, second_replica: str
) -> None:
    unit_id, _, member_token = make_unit_with_member(api, admin_token)
    async with (
        page_socket(stack, gateway_ws(stack, member_token)) as on_first,
        page_socket(stack, f"{second_replica}?token={member_token}") as on_second,
    ):
        await recv(on_first), await recv(on_second)
        seen = create_ticket(api, admin_token, unit_id, "Seen on both replicas")
        first, second = await collect(on_first, until=1), await collect(on_second, until=1)
    assert [m for m in first if m["type"] == "notification"] == [
        m for m in second if m["type"] == "notification"
    ]
    assert [m["ticket_id"] for m in second if m["type"] == "notification"] == [seen["id"]]
    last_seen = max(m["event_id"] for m in second)

    missed = [create_ticket(api, admin_token, unit_id, f"Missed {i}") for i in range(2)]
    await asyncio.sleep(2)  # notify and realtime have handled them while nobody listened
    async with page_socket(stack, gateway_ws(stack, member_token, resume_from=last_seen)) as back:
        await recv(back)
        resumed = await collect(back, until=2)
        live = create_ticket(api, admin_token, unit_id, "Live after resume")
        resumed += await collect(back, until=1)
    popups = [m["ticket_id"] for m in resumed if m["type"] == "notification"]
    assert sorted(popups) == sorted([t["id"] for t in missed] + [live["id"]])
    ids = [m["event_id"] for m in resumed if m["type"] == "notification"]
    assert len(ids) == len(set(ids)) and all(i > last_seen for i in ids)


def make_client(api: httpx.Client, admin_token: str, group_id: int, *, lead: bool) -> tuple[int, str]:
    """A client of the group (its lead when ``lead``): his id and an access token."""
    name = f"cl{secrets.token_hex(4)}"
    user = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "client-password",
            "full_name": "Group Lead" if lead else "Group Member",
            "kind": "client",
            "client_group_id": group_id,
            "is_client_group_lead": lead,
        },
        headers=bearer(admin_token),
    )
    assert user.status_code == 201, user.text
    return user.json()["id"], login(api, name, "client-password")


async def ticket_updates(ws: Any, ticket_id: int, timeout: float = 10) -> list[dict[str, Any]]:
    """The ``ticket.updated`` messages about one ticket that arrive within ``timeout``."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = await recv(ws, timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        if msg["type"] == "ticket.updated" and msg["ticket_id"] == ticket_id:
            got.append(msg)
            timeout = 0.5  # the one we wait for came: only a short quiet period more
            deadline = min(deadline, time.monotonic() + timeout)
    return got


async def test_a_client_group_lead_gets_the_live_update_of_a_ticket_a_member_of_his_group_files(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit = api.post(
        "/api/v1/units", json={"name": f"Unit {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    group = api.post(
        "/api/v1/client-groups", json={"name": f"Group {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    other = api.post(
        "/api/v1/client-groups", json={"name": f"Group {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    assert unit.status_code == group.status_code == other.status_code == 201, (unit.text, group.text)
    lead_id, lead_token = make_client(api, admin_token, group.json()["id"], lead=True)
    _, member_token = make_client(api, admin_token, group.json()["id"], lead=False)
    _, other_lead_token = make_client(api, admin_token, other.json()["id"], lead=True)
    async with (
        page_socket(stack, gateway_ws(stack, lead_token)) as lead,
        page_socket(stack, gateway_ws(stack, other_lead_token)) as other_lead,
    ):
        assert await recv(lead) == {"type": "hello", "user_id": lead_id}
        await recv(other_lead)
        filed = api.post(
            "/api/v1/tickets",
            json={
                "subject": "Filed by a group member",
                "body": "",
                "priority": "normal",
                "unit_id": unit.json()["id"],
            },
            headers=bearer(member_token),
        )
        assert filed.status_code == 201, filed.text
        ticket_id = filed.json()["id"]
        got = await ticket_updates(lead, ticket_id)
        theirs = await ticket_updates(other_lead, ticket_id, timeout=1)
    assert [(m["event"], m["state"]) for m in got] == [("TicketCreated", "new")]
    assert theirs == []
    inbox = api.get("/api/v1/tickets", params={"box": "inbox"}, headers=bearer(lead_token))
    assert ticket_id in [t["id"] for t in inbox.json()["items"]]  # his list shows it too
