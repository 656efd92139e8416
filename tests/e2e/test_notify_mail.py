"""Notify through the gateway: settings, preferences, and a created ticket's mail to a real SMTP sink."""

from __future__ import annotations

import email
import email.policy
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from .conftest import bearer, login

pytestmark = pytest.mark.e2e


class _Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, _Sink]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


def _staff(api: httpx.Client, admin_token: str, unit_id: int, role: str) -> tuple[int, str, str]:
    name = f"n{secrets.token_hex(4)}"
    resp = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "member-password",
            "full_name": f"Member {name}",
            "email": f"{name}@example.test",
            "kind": "staff",
            "role": role,
            "unit_ids": [unit_id],
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], f"{name}@example.test", login(api, name, "member-password")


def test_settings_are_admin_only_and_the_password_is_never_read_back(
    api: httpx.Client, admin_token: str
) -> None:
    unit = api.post("/api/v1/units", json={"name": f"U {secrets.token_hex(4)}"}, headers=bearer(admin_token))
    _, _, member = _staff(api, admin_token, unit.json()["id"], "unit_member")
    assert api.get("/api/v1/settings/mail", headers=bearer(member)).status_code == 403
    assert api.get("/api/v1/notify/dead-letters", headers=bearer(member)).status_code == 403
    put = api.put(
        "/api/v1/settings/mail",
        json={
            "enabled": False,
            "host": "smtp.example.test",
            "port": 587,
            "security": "starttls",
            "username": "hd",
            "password": "s3cret",
            "from_address": "hd@example.test",
        },
        headers=bearer(admin_token),
    )
    assert put.status_code == 200, put.text
    assert put.json()["password"] == "********"
    bad = api.put("/api/v1/settings/mail", json={"security": "ssl"}, headers=bearer(admin_token))
    assert bad.status_code == 422
    assert api.get("/api/v1/settings/mail", headers=bearer(admin_token)).json()["host"] == "smtp.example.test"


def test_a_member_reads_and_changes_his_notification_settings(api: httpx.Client, admin_token: str) -> None:
    unit = api.post("/api/v1/units", json={"name": f"U {secrets.token_hex(4)}"}, headers=bearer(admin_token))
    _, _, member = _staff(api, admin_token, unit.json()["id"], "unit_member")
    got = api.get("/api/v1/me/notification-settings", headers=bearer(member))
    assert got.status_code == 200, got.text
    assert got.json()["events"]["ticket.created"] == ["popup", "email"]
    patched = api.patch(
        "/api/v1/me/notification-settings",
        json={"events": {"ticket.created": ["popup"]}, "language": "ru"},
        headers=bearer(member),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["events"]["ticket.created"] == ["popup"]
    assert patched.json()["language"] == "ru"
    bad = api.patch(
        "/api/v1/me/notification-settings",
        json={"events": {"ticket.nope": ["popup"]}},
        headers=bearer(member),
    )
    assert bad.status_code == 422
    assert api.get("/api/v1/me/notification-settings", headers=bearer(member)).json()["language"] == "ru"


def test_a_created_ticket_is_mailed_to_the_unit_members(
    api: httpx.Client, admin_token: str, smtp_sink: tuple[int, _Sink]
) -> None:
    port, sink = smtp_sink
    put = api.put(
        "/api/v1/settings/mail",
        json={
            "enabled": True,
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from_address": "helpdesk@example.test",
            "password": "",
        },
        headers=bearer(admin_token),
    )
    assert put.status_code == 200, put.text
    unit = api.post("/api/v1/units", json={"name": f"U {secrets.token_hex(4)}"}, headers=bearer(admin_token))
    unit_id = unit.json()["id"]
    _, head_mail, _ = _staff(api, admin_token, unit_id, "unit_head")
    _, member_mail, _ = _staff(api, admin_token, unit_id, "unit_member")
    created = api.post(
        "/api/v1/tickets",
        json={"subject": "Mail me", "body": "please", "priority": "normal", "unit_id": unit_id},
        headers=bearer(admin_token),
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    # Only this ticket's mails count: the session's stack may still be delivering other
    # tests' mails (queued while their own sink was gone) to whichever server is set now.
    subject = f"Ticket #{number} — created"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sink.lock:
            got = sorted(r for rcpts, m in sink.mails for r in rcpts if str(m["Subject"]) == subject)
        if len(got) >= 2:
            break
        time.sleep(0.2)
    assert got == sorted([head_mail, member_mail])
    with sink.lock:
        others = [rcpts for rcpts, m in sink.mails if str(m["Subject"]) != subject]
    assert not {head_mail, member_mail} & {r for rcpts in others for r in rcpts}
