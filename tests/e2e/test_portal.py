"""The portal end to end (every service a process, mTLS, real NATS, PostgreSQL and an SMTP
sink): who may do what on the public site, the portal switched off answering 404 on every
route to everyone, a comment's mail to the author and the earlier commenters (once each,
never the commenter), and a post made into a ticket by a staff member."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from helpdesk_devstack.stack import Stack

from .conftest import bearer, login

pytestmark = pytest.mark.e2e

PASSWORD = "portal-password"


def new_user(api: httpx.Client, admin_token: str, kind: str = "client", **fields: Any) -> dict[str, Any]:
    name = f"p{secrets.token_hex(4)}"
    body: dict[str, Any] = {
        "login": name,
        "password": PASSWORD,
        "full_name": f"Person {name}",
        "email": f"{name}@example.test",
        "kind": kind,
        **fields,
    }
    if kind == "staff":
        body.setdefault("role", "unit_member")
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    user: dict[str, Any] = resp.json()
    user["token"] = login(api, name, PASSWORD)
    return user


def switch_portal(api: httpx.Client, admin_token: str, *, enabled: bool, **values: Any) -> None:
    settings = {"enabled": enabled, "posts_per_hour": 0, "comments_per_hour": 0, **values}
    resp = api.put("/api/v1/settings/portal", json=settings, headers=bearer(admin_token))
    assert resp.status_code == 200, resp.text
    # Each gateway keeps the portal's on/off answer 2 s.
    deadline = time.monotonic() + 10
    while (api.get("/api/v1/portal").status_code == 200) != enabled:
        assert time.monotonic() < deadline, "the gateway never saw the switch"
        time.sleep(0.2)


@pytest.fixture
def portal_on(api: httpx.Client, admin_token: str) -> Iterator[None]:
    """On for the test, off again after it: the other tests (and their screenshots) see
    the product as it ships."""
    switch_portal(api, admin_token, enabled=True)
    yield
    switch_portal(api, admin_token, enabled=False)


def test_who_may_do_what_on_the_portal(api: httpx.Client, admin_token: str, portal_on: None) -> None:
    """The visibility matrix: anonymous, client, staff, admin × each action, through the gateway."""
    author = new_user(api, admin_token)
    staff = new_user(api, admin_token, "staff")
    people: dict[str, dict[str, str]] = {
        "anonymous": {},
        "client": bearer(new_user(api, admin_token)["token"]),
        "staff": bearer(staff["token"]),
        "admin": bearer(admin_token),
    }
    post = api.post(
        "/api/v1/portal/posts", json={"kind": "idea", "title": "Matrix"}, headers=bearer(author["token"])
    ).json()
    path = f"/api/v1/portal/posts/{post['id']}"

    def actions(who: dict[str, str]) -> dict[str, int]:
        return {
            "read": api.get(path, headers=who).status_code,
            "list": api.get("/api/v1/portal/posts", headers=who).status_code,
            "post": api.post(
                "/api/v1/portal/posts", json={"kind": "thanks", "title": "Hi"}, headers=who
            ).status_code,
            "comment": api.post(f"{path}/comments", json={"body": "A comment"}, headers=who).status_code,
            "like": api.post(f"{path}/like", json={"value": "like"}, headers=who).status_code,
            "answer": api.patch(path, json={"answer": "Official"}, headers=who).status_code,
            "status": api.patch(path, json={"status": "planned"}, headers=who).status_code,
            "hide": api.patch(path, json={"is_hidden": True}, headers=who).status_code,
            # (shown again at once by staff: a hidden post is out of the others' reach)
            "show again": api.patch(path, json={"is_hidden": False}, headers=people["staff"]).status_code,
            "news": api.post(
                "/api/v1/portal/news", json={"title": "N", "body": "B"}, headers=who
            ).status_code,
        }

    got = {name: actions(who) for name, who in people.items()}
    anonymous = (
        {"read": 200, "list": 200}
        | dict.fromkeys(["post", "comment", "like", "answer", "status", "hide", "news"], 401)
        | {"show again": 200}
    )
    client = (
        {"read": 200, "list": 200, "post": 201, "comment": 201, "like": 200}
        | dict.fromkeys(["answer", "status", "hide", "news"], 403)
        | {"show again": 200}
    )
    staff_may = client | {"answer": 200, "status": 200, "hide": 200}
    assert got == {
        "anonymous": anonymous,
        "client": client,
        "staff": staff_may,
        "admin": staff_may | {"news": 201},
    }
    # While hidden, the post is staff's alone: the others get 404, as if it did not exist.
    assert api.patch(path, json={"is_hidden": True}, headers=people["staff"]).status_code == 200
    seen = {name: api.get(path, headers=who).status_code for name, who in people.items()}
    assert seen == {"anonymous": 404, "client": 404, "staff": 200, "admin": 200}
    assert api.get(path, headers=bearer(author["token"])).status_code == 404


def test_switched_off_every_portal_route_answers_404_to_everyone(
    api: httpx.Client, admin_token: str, portal_on: None
) -> None:
    client = new_user(api, admin_token)
    spec = api.get("/api/v1/openapi.json").json()
    routes = [
        (verb.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, ops in spec["paths"].items()
        if path.startswith("/api/v1/portal")
        for verb in ops
    ]
    assert len(routes) >= 27
    switch_portal(api, admin_token, enabled=False)
    try:
        for who in ({}, bearer(client["token"]), bearer(admin_token)):
            for verb, path in routes:
                resp = api.request(verb, path, json={}, headers=who)
                assert resp.status_code == 404, (verb, path, who, resp.text)
                assert resp.headers["content-type"].startswith("application/problem+json")
        # The switch itself stays within the admin's reach.
        assert api.get("/api/v1/settings/portal", headers=bearer(admin_token)).json()["enabled"] is False
    finally:
        switch_portal(api, admin_token, enabled=True)


class _Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def about(self, text: str) -> list[str]:
        """Recipients of the mails whose text holds ``text``."""
        with self.lock:
            found = []
            for rcpts, msg in self.mails:
                body = msg.get_body(preferencelist=("plain",))
                if body is not None and text in body.get_content():
                    found += rcpts
            return sorted(found)


@pytest.fixture
def smtp_sink(api: httpx.Client, admin_token: str) -> Iterator[_Sink]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    put = api.put(
        "/api/v1/settings/mail",
        json={
            "enabled": True,
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from_address": "hd@example.test",
        },
        headers=bearer(admin_token),
    )
    assert put.status_code == 200, put.text
    try:
        yield sink
    finally:
        controller.stop()


def test_a_comment_mails_the_author_and_earlier_commenters_once_each_and_not_the_commenter(
    api: httpx.Client, admin_token: str, portal_on: None, smtp_sink: _Sink
) -> None:
    author = new_user(api, admin_token)
    first = new_user(api, admin_token)
    staff = new_user(api, admin_token, "staff")
    last = new_user(api, admin_token)
    post = api.post(
        "/api/v1/portal/posts",
        json={"kind": "question", "title": "Where is the VPN guide?", "body": "I cannot find it"},
        headers=bearer(author["token"]),
    )
    assert post.status_code == 201, post.text
    comments = f"/api/v1/portal/posts/{post.json()['id']}/comments"
    for who, text in ((first, "Me neither"), (staff, "Looking into it"), (first, "Still nothing")):
        assert api.post(comments, json={"body": text}, headers=bearer(who["token"])).status_code == 201
    marker = f"Found it {secrets.token_hex(4)}"
    assert api.post(comments, json={"body": marker}, headers=bearer(last["token"])).status_code == 201

    expected = sorted([author["email"], first["email"], staff["email"]])
    deadline = time.monotonic() + 30
    while smtp_sink.about(marker) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # whatever else was coming has come
    assert smtp_sink.about(marker) == expected  # once each; never the commenter himself
    with smtp_sink.lock:
        subjects = {str(m["Subject"]) for rcpts, m in smtp_sink.mails if last["email"] not in rcpts}
    assert "Portal: Where is the VPN guide? — new comment" in subjects


def test_staff_turn_a_post_into_a_ticket_linked_both_ways_and_only_once(
    api: httpx.Client, admin_token: str, portal_on: None, stack: Stack
) -> None:
    unit = api.post(
        "/api/v1/units", json={"name": f"Portal {secrets.token_hex(3)}"}, headers=bearer(admin_token)
    )
    unit_id = unit.json()["id"]
    author = new_user(api, admin_token)
    staff = new_user(api, admin_token, "staff", unit_ids=[unit_id])
    post = api.post(
        "/api/v1/portal/posts",
        json={"kind": "problem", "title": "Printer jammed", "body": "Third floor"},
        headers=bearer(author["token"]),
    ).json()
    path = f"/api/v1/portal/posts/{post['id']}/ticket"
    assert api.post(path, json={"unit_id": unit_id}, headers=bearer(author["token"])).status_code == 403
    made = api.post(path, json={"unit_id": unit_id, "priority": "high"}, headers=bearer(staff["token"]))
    assert made.status_code == 201, made.text
    ticket_id = made.json()["ticket_id"]
    assert made.json()["post"]["ticket_id"] == ticket_id
    ticket = api.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(staff["token"])).json()
    assert ticket["subject"] == "Printer jammed" and ticket["source"] == "portal"
    assert ticket["client_id"] == author["id"] and ticket["priority"] == "high"
    assert f"/portal/posts/{post['id']}" in ticket["body"]
    # The client the post came from sees the ticket made of it.
    assert api.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(author["token"])).status_code == 200
    again = api.post(path, json={"unit_id": unit_id}, headers=bearer(staff["token"]))
    assert again.status_code == 409
