"""Outgoing webhooks and the events feed, end to end (docs/webhooks.md): the example
receiver (examples/webhook_receiver.py) gets each event once, signed; down for a while,
it gets everything afterwards in order per ticket; a 410 dead-letters at once; internal
addresses are refused unless the webhook's range allows them; the feed shows a member
only his tickets' events. Each webhook names the test's own unit, so the rest of the
suite's tickets never reach it."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from helpdesk_devstack.servers import free_port

from .conftest import ROOT, bearer
from .test_tickets_rest import staff, unit

pytestmark = pytest.mark.e2e
T = TypeVar("T")
SECRET = "whsec_" + secrets.token_hex(16)


def eventually(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class Receiver:
    """examples/webhook_receiver.py as a process, started and stopped by the test."""

    def __init__(self, out: Path) -> None:
        self.port = free_port()
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / "webhook_receiver.py"),
                "--port",
                str(self.port),
                "--secret",
                SECRET,
                "--out",
                str(self.out),
            ],
            stderr=subprocess.DEVNULL,
        )
        eventually(self._listening, timeout=10)

    def _listening(self) -> bool:
        try:
            httpx.post(f"http://127.0.0.1:{self.port}/", content=b"{}", timeout=1)
        except httpx.TransportError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def at_least(self, n: int) -> list[dict[str, Any]] | None:
        got = self.events()
        return got if len(got) >= n else None

    def events(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path / "events.jsonl")
    r.start()
    yield r
    r.stop()


def _webhook(api: httpx.Client, admin: str, url: str, unit_id: int, events: list[str]) -> dict[str, Any]:
    resp = api.post(
        "/api/v1/webhooks",
        json={
            "url": url,
            "events": events,
            "unit_ids": [unit_id],
            "allowed_cidr": "127.0.0.1/32",
            "secret": SECRET,
        },
        headers=bearer(admin),
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    assert body["has_secret"] and body["secret"] is None  # we gave it: never echoed
    return body


def _ticket(api: httpx.Client, admin: str, unit_id: int, subject: str) -> dict[str, Any]:
    resp = api.post(
        "/api/v1/tickets", json={"subject": subject, "body": "b", "unit_id": unit_id}, headers=bearer(admin)
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _comment(api: httpx.Client, admin: str, ticket_id: int, text: str) -> None:
    resp = api.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": text}, headers=bearer(admin))
    assert resp.status_code == 201, resp.text


def _deliveries(api: httpx.Client, admin: str, webhook_id: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=bearer(admin))
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def test_a_receiver_gets_each_event_once_signed_and_after_an_outage_all_in_order_per_ticket(
    api: httpx.Client, admin_token: str, receiver: Receiver
) -> None:
    desk = unit(api, admin_token)
    hook = _webhook(
        api,
        admin_token,
        f"http://127.0.0.1:{receiver.port}/hook",
        desk,
        ["ticket.created", "ticket.commented"],
    )
    try:
        first = _ticket(api, admin_token, desk, "Webhook one")
        _comment(api, admin_token, first["id"], "c1")
        got = eventually(lambda: receiver.at_least(2))
        assert [(e["type"], e["data"]["id"]) for e in got] == [
            ("ticket.created", first["id"]),
            ("ticket.commented", first["id"]),
        ]
        # The ticket as GET /tickets/{id} shows it, but what depends on who asks.
        shown = api.get(f"/api/v1/tickets/{first['id']}", headers=bearer(admin_token)).json()
        assert {k: got[0]["data"][k] for k in ("number", "subject", "unit_id", "author_id", "priority")} == {
            k: shown[k] for k in ("number", "subject", "unit_id", "author_id", "priority")
        }
        assert got[1]["data"]["comment"]["body"] == "c1"

        receiver.stop()
        tickets = [_ticket(api, admin_token, desk, f"Outage {i}") for i in range(2)]
        for t in tickets:
            for n in range(2):
                _comment(api, admin_token, t["id"], f"{t['id']}-{n}")
        # Tried and refused while it is down (the log says why), then it comes back.
        eventually(
            lambda: any(
                d["attempts"] and d["status"] == "pending" for d in _deliveries(api, admin_token, hook["id"])
            )
        )
        receiver.start()
        events = eventually(lambda: receiver.at_least(2 + 2 * 3))
        assert len({e["id"] for e in events}) == len(events) == 8  # each once
        for t in tickets:
            mine = [
                (e["type"], e["data"].get("comment", {}).get("body"))
                for e in events
                if e["data"]["id"] == t["id"]
            ]
            assert mine == [
                ("ticket.created", None),
                ("ticket.commented", f"{t['id']}-0"),
                ("ticket.commented", f"{t['id']}-1"),
            ]
        log = _deliveries(api, admin_token, hook["id"])
        assert {d["status"] for d in log} == {"sent"}
        assert any("no connection" in d["last_error"] or d["attempts"] > 1 for d in log)

        # Redelivered: the same event (same id) comes again, the receiver drops it.
        again = api.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{log[-1]['id']}/redeliver", headers=bearer(admin_token)
        )
        assert again.status_code == 202, again.text
        assert again.json()["event_id"] == log[-1]["event_id"]
        eventually(
            lambda: any(
                d["id"] == again.json()["id"] and d["status"] == "sent"
                for d in _deliveries(api, admin_token, hook["id"])
            )
        )
        assert len(receiver.events()) == 8
    finally:
        api.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(admin_token))


class _Gone(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(410)
        self.end_headers()
        self.wfile.write(b"this endpoint is gone")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_410_dead_letters_the_delivery_at_once_with_the_reason(api: httpx.Client, admin_token: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    desk = unit(api, admin_token)
    hook = _webhook(
        api, admin_token, f"http://127.0.0.1:{server.server_address[1]}/", desk, ["ticket.created"]
    )
    try:
        _ticket(api, admin_token, desk, "Gone")
        dead = eventually(
            lambda: [d for d in _deliveries(api, admin_token, hook["id"]) if d["status"] == "dead"]
        )
        assert dead[0]["attempts"] == 1
        assert dead[0]["last_status_code"] == 410
        assert dead[0]["last_error"] == "HTTP 410"
        assert dead[0]["last_response"] == "this endpoint is gone"
    finally:
        api.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(admin_token))
        server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://[::1]:9/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_a_webhook_to_an_internal_address_is_refused_unless_its_range_allows_it(
    api: httpx.Client, admin_token: str, url: str
) -> None:
    resp = api.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["ticket.created"], "enabled": False},
        headers=bearer(admin_token),
    )
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert problem["errors"][0]["field"] == "url", problem
    assert problem["errors"][0]["code"] == "address_refused", problem


def test_an_allowed_range_admits_an_internal_receiver_and_only_it(
    api: httpx.Client, admin_token: str
) -> None:
    allowed = api.post(
        "/api/v1/webhooks",
        json={
            "url": "http://localhost:9/",
            "events": ["ticket.created"],
            "enabled": False,
            "allowed_cidr": "127.0.0.0/8",
        },
        headers=bearer(admin_token),
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["secret"].startswith("whsec_")  # generated, shown once
    api.delete(f"/api/v1/webhooks/{allowed.json()['id']}", headers=bearer(admin_token))
    other = api.post(
        "/api/v1/webhooks",
        json={
            "url": "http://10.0.0.1/",
            "events": ["ticket.created"],
            "enabled": False,
            "allowed_cidr": "127.0.0.0/8",
        },
        headers=bearer(admin_token),
    )
    assert other.status_code == 422, other.text


def test_the_events_feed_shows_a_member_only_the_events_of_his_tickets(
    api: httpx.Client, admin_token: str
) -> None:
    mine_unit, other_unit = unit(api, admin_token), unit(api, admin_token)
    _, member = staff(api, admin_token, [mine_unit])
    start = api.get("/api/v1/events", params={"limit": 500}, headers=bearer(admin_token)).json()
    cursor = start["next"]
    while start["items"]:  # to the end of what is kept
        start = api.get(
            "/api/v1/events", params={"after": cursor, "limit": 500}, headers=bearer(admin_token)
        ).json()
        cursor = start["next"]
    mine = _ticket(api, admin_token, mine_unit, "Feed: mine")
    theirs = _ticket(api, admin_token, other_unit, "Feed: theirs")

    def seen(token: str) -> set[int]:
        page = api.get("/api/v1/events", params={"after": cursor}, headers=bearer(token))
        assert page.status_code == 200, page.text
        return {e["data"]["id"] for e in page.json()["items"] if e["type"] == "ticket.created"}

    eventually(lambda: {mine["id"], theirs["id"]} <= seen(admin_token))
    assert seen(member) == {mine["id"]}

    # A user's rights change: the user as GET /users/{id} shows him, to administrators only.
    promoted, _ = staff(api, admin_token, [other_unit])
    changed = api.patch(f"/api/v1/users/{promoted}", json={"role": "unit_head"}, headers=bearer(admin_token))
    assert changed.status_code == 200, changed.text

    def user_events(token: str) -> list[dict[str, Any]]:
        page = api.get("/api/v1/events", params={"after": cursor}, headers=bearer(token)).json()
        return [e for e in page["items"] if e["type"].startswith("user.") and e["data"]["id"] == promoted]

    [event] = eventually(lambda: user_events(admin_token))
    assert event["type"] == "user.changed"
    assert event["data"] == changed.json() | {"role": "unit_head"}
    assert user_events(member) == []
