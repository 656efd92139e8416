"""Integrators end to end: a program's socket with a personal API token, the tickets'
change feed while tickets change, the rate-limit fields, and the examples/ clients
(alert_to_ticket, sync_tickets, listen_events) run as a program would run them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import websockets.exceptions

from helpdesk_devstack.stack import Stack

from .conftest import bearer
from .test_realtime_sockets import collect, create_ticket, make_unit_with_member, recv

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).parents[2] / "examples"


def api_token(api: httpx.Client, access: str, name: str = "program") -> dict[str, Any]:
    created = api.post("/api/v1/me/tokens", json={"name": name}, headers=bearer(access))
    assert created.status_code == 201, created.text
    token: dict[str, Any] = created.json()
    return token


def program_socket(stack: Stack, token: str) -> Any:
    """A program's socket: no Origin, the token in the Authorization header."""
    url = stack.gateway_url.replace("http://", "ws://") + "/ws"
    return websockets.connect(url, additional_headers=bearer(token))


async def test_a_socket_with_an_api_token_gets_its_users_events_until_the_token_is_revoked(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id, member_id, member_access = make_unit_with_member(api, admin_token)
    token = api_token(api, member_access)
    async with program_socket(stack, token["token"]) as ws:
        assert await recv(ws) == {"type": "hello", "user_id": member_id}
        ticket = create_ticket(api, admin_token, unit_id, "Seen by a program")
        got = await collect(ws, until=1)
        assert ticket["id"] in {m.get("ticket_id") for m in got if m["type"] == "notification"}
        revoked = api.delete(f"/api/v1/me/tokens/{token['id']}", headers=bearer(member_access))
        assert revoked.status_code == 204
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "token revoked")
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with program_socket(stack, token["token"]) as ws:
            await ws.recv()


def test_syncing_with_updated_since_while_tickets_change_misses_no_change(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id, _, member_access = make_unit_with_member(api, admin_token)
    member = bearer(api_token(api, member_access)["token"])
    since = datetime.now(UTC).isoformat()
    ids = [create_ticket(api, admin_token, unit_id, f"Feed {i}")["id"] for i in range(8)]
    seen: dict[int, int] = {}
    params: dict[str, Any] = {"updated_since": since, "sort": "updated_at", "limit": 3}
    remaining: list[int] = []
    for round_ in range(20):
        page = api.get("/api/v1/tickets", params=params, headers=member)
        assert page.status_code == 200, page.text
        remaining.append(int(page.headers["RateLimit-Remaining"]))
        items = page.json()["items"]
        seen.update({t["id"]: t["version"] for t in items})
        params = {"cursor": page.json()["next_cursor"], "limit": 3}
        if round_ < 6:  # tickets change between the pages, behind the cursor and ahead of it
            edit = api.patch(
                f"/api/v1/tickets/{ids[(round_ * 5) % 8]}",
                json={"priority": "high" if round_ % 2 else "low"},
                headers=bearer(admin_token),
            )
            assert edit.status_code == 200, edit.text
        elif len(items) < 3:
            break
    latest = {i: api.get(f"/api/v1/tickets/{i}", headers=member).json()["version"] for i in ids}
    assert seen == latest
    assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]


def run_example(name: str, *args: object) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_examples_file_an_alert_once_sync_the_tickets_and_listen(
    stack: Stack, api: httpx.Client, admin_token: str, tmp_path: Path
) -> None:
    unit_id, _, member_access = make_unit_with_member(api, admin_token)
    token = api_token(api, member_access)["token"]
    base = stack.gateway_url
    listener = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "listen_events.py"), base, token, "1", stdout=asyncio.subprocess.PIPE
    )
    assert listener.stdout is not None
    hello = json.loads(await asyncio.wait_for(listener.stdout.readline(), 30))
    assert hello["type"] == "hello"

    first = json.loads(run_example("alert_to_ticket.py", base, token, unit_id, "disk-42", "Disk full on db1"))
    again = json.loads(run_example("alert_to_ticket.py", base, token, unit_id, "disk-42", "Disk full on db1"))
    assert again["id"] == first["id"]  # the same alert files one ticket

    out, _ = await asyncio.wait_for(listener.communicate(), 30)
    assert listener.returncode == 0
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert events[-1]["ticket_id"] == first["id"]

    state = tmp_path / "cursor"
    synced = [json.loads(line) for line in run_example("sync_tickets.py", base, token, state).splitlines()]
    assert first["id"] in {t["id"] for t in synced}
    changed = api.patch(
        f"/api/v1/tickets/{first['id']}", json={"priority": "low"}, headers=bearer(admin_token)
    )
    assert changed.status_code == 200, changed.text
    later = [json.loads(line) for line in run_example("sync_tickets.py", base, token, state).splitlines()]
    assert [(t["id"], t["version"]) for t in later] == [(first["id"], changed.json()["version"])]
