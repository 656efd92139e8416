"""Mail intake end to end: every service a process (mailin included), a real dovecot, a real
SMTP sink for notify's mail.

- Mail appended to a mailbox becomes a ticket in the unit's inbox and pops up for the unit's
  members; the author's reply to the notification mail notify really sent becomes his comment;
  the same reply from someone who may not see the ticket does not.
- The mailin *process* SIGKILLed between creating the ticket and flagging the mail (the
  test-only crash points, ``HELPDESK_MAILIN_TEST_CRASH_AT``) files the mail once after a
  restart: the real tickets service recognises its idempotency key.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from aiosmtpd.controller import Controller
from websockets.typing import Origin

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.servers.dovecot import HOST, Dovecot
from helpdesk_devstack.stack import Stack

from .conftest import bearer, login

pytestmark = pytest.mark.e2e

PROCESSED = {b"\\Seen", b"$Helpdesk"}


# ---- the world around the helpdesk ---------------------------------------------------


class Sink:
    """An SMTP server that keeps every mail notify sends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.mails if address in rcpts]


@pytest.fixture
def smtp_sink(api: httpx.Client, admin_token: str) -> Iterator[Sink]:
    """notify sends its mail here for the test (and no more after it)."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "desk@example.test"}
    put = api.put("/api/v1/settings/mail", json=settings | {"enabled": True}, headers=bearer(admin_token))
    assert put.status_code == 200, put.text
    try:
        yield sink
    finally:
        api.put("/api/v1/settings/mail", json=settings | {"enabled": False}, headers=bearer(admin_token))
        controller.stop()


def mail(sender: str, to: str, subject: str, body: str, **headers: str) -> bytes:
    """A plain mail as a person's client sends it (``In_Reply_To`` → ``In-Reply-To``)."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate(localtime=True)
    m["Message-ID"] = email.utils.make_msgid(domain=sender.rsplit("@", 1)[1])
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m.as_bytes()


def flags(dovecot: Dovecot, login_name: str) -> list[set[bytes]]:
    """The flags of each mail in the mailbox's INBOX, oldest first."""
    with dovecot.client(login_name) as c:
        c.select_folder("INBOX", readonly=True)
        found = c.fetch(c.search("ALL"), ["FLAGS"])
    return [set(found[uid][b"FLAGS"]) for uid in sorted(found)]


async def eventually(check: Callable[[], Awaitable[Any] | Any], what: str, seconds: float = 60) -> Any:
    """The first truthy answer of ``check``, asked every 0.3 s."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if asyncio.iscoroutine(answer):
            answer = await answer
        if answer:
            return answer
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.3)


# ---- the helpdesk's people and mailbox -------------------------------------------------


def user(api: httpx.Client, admin_token: str, *, kind: str, unit_id: int | None = None) -> dict[str, Any]:
    """A new active user with an e-mail address; his ``token`` added to what identity answers."""
    name = f"m{secrets.token_hex(4)}"
    body: dict[str, Any] = {
        "login": name,
        "password": "mail-intake-pw",
        "full_name": f"{kind.title()} {name}",
        "email": f"{name}@{'staff' if kind == 'staff' else 'client'}.example",
        "kind": kind,
    }
    if kind == "staff":
        body |= {"role": "unit_member", "unit_ids": [unit_id]}
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    return resp.json() | {"token": login(api, name, "mail-intake-pw")}


def new_unit(api: httpx.Client, admin_token: str) -> int:
    resp = api.post(
        "/api/v1/units", json={"name": f"Mail {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    assert resp.status_code == 201, resp.text
    unit_id: int = resp.json()["id"]
    return unit_id


def new_mailbox(
    api: httpx.Client, admin_token: str, dovecot: Dovecot, unit_id: int, *, enabled: bool = True
) -> dict[str, Any]:
    """An account on the dovecot and the mailbox reading it over TLS, made through the REST API."""
    address = f"desk{secrets.token_hex(4)}@desk.example"
    dovecot.add_user(address, "imap-pw")
    resp = api.post(
        "/api/v1/mailboxes",
        json={
            "name": address,
            "enabled": enabled,
            "host": HOST,
            "port": dovecot.tls_port,
            "security": "tls",
            "login": address,
            "password": "imap-pw",
            "unit_id": unit_id,
            "unknown_senders": "refuse",
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    box: dict[str, Any] = resp.json()
    assert box["password"] == "********"  # write-only
    return box


def mailbox_stats(api: httpx.Client, admin_token: str, mailbox_id: int) -> dict[str, Any]:
    resp = api.get(f"/api/v1/mailboxes/{mailbox_id}", headers=bearer(admin_token))
    assert resp.status_code == 200, resp.text
    stats: dict[str, Any] = resp.json()["stats"]
    return stats


def _stats_if_up(api: httpx.Client, admin_token: str, mailbox_id: int) -> dict[str, Any] | None:
    resp = api.get(f"/api/v1/mailboxes/{mailbox_id}", headers=bearer(admin_token))
    if resp.status_code == 503:
        return None
    assert resp.status_code == 200, resp.text
    stats: dict[str, Any] = resp.json()["stats"]
    return stats


def ws_url(stack: Stack, token: str) -> str:
    return stack.http_url("realtime").replace("http://", "ws://") + f"/ws?token={token}"


async def next_popup(ws: Any, timeout: float) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
        if msg["type"] == "notification":
            return msg


# ---- mail → ticket → pop-up; reply → comment ---------------------------------------------


async def test_mail_becomes_a_ticket_its_unit_gets_the_popup_and_the_authors_reply_to_the_mail_a_comment(
    stack: Stack, api: httpx.Client, admin_token: str, dovecot: Dovecot, smtp_sink: Sink
) -> None:
    unit_id = new_unit(api, admin_token)
    member = user(api, admin_token, kind="staff", unit_id=unit_id)
    anna = user(api, admin_token, kind="client")
    mallory = user(api, admin_token, kind="client")
    box = new_mailbox(api, admin_token, dovecot, unit_id)
    subject = f"Printer on the 3rd floor jams {secrets.token_hex(3)}"

    # The member watches as the web page does (its Origin: sockets from elsewhere are refused).
    async with websockets.connect(ws_url(stack, member["token"]), origin=Origin(stack.gateway_url)) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        assert hello == {"type": "hello", "user_id": member["id"]}
        dovecot.append(box["login"], mail(anna["email"], box["login"], subject, "Every page, since Monday."))
        popup = await next_popup(ws, timeout=60)

    ticket = api.get(f"/api/v1/tickets/{popup['ticket_id']}", headers=bearer(member["token"])).json()
    assert ticket["subject"] == subject and ticket["body"] == "Every page, since Monday."
    assert ticket["author_id"] == anna["id"] and ticket["unit_id"] == unit_id and ticket["source"] == "email"
    assert popup["title"] == f"Ticket #{ticket['number']} — created" and popup["body"] == subject
    inbox = api.get("/api/v1/tickets?box=inbox", headers=bearer(member["token"])).json()["items"]
    assert ticket["id"] in [t["id"] for t in inbox]
    await eventually(lambda: flags(dovecot, box["login"])[0] >= PROCESSED, "the mail flagged")

    # A staff answer is mailed to Anna by notify; she answers that very mail.
    answer = api.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": "Could you send the printer's name?"},
        headers=bearer(member["token"]),
    )
    assert answer.status_code == 201, answer.text
    [notification] = await eventually(lambda: smtp_sink.to(anna["email"]), "the comment mailed to Anna")
    sent_id = notification["Message-ID"]
    assert sent_id.startswith(f"<ticket-{ticket['id']}.")
    quoted = "\n".join(f"> {line}" for line in notification.get_body(("plain",)).get_content().splitlines())
    reply = (
        f"It is the HP in room 301.\n\nOn {notification['Date']}, {notification['From']} wrote:\n{quoted}\n"
    )
    headers = {"In_Reply_To": sent_id, "References": sent_id}
    dovecot.append(
        box["login"], mail(anna["email"], box["login"], f"Re: {notification['Subject']}", reply, **headers)
    )

    def comments() -> list[tuple[int, str]]:
        items = api.get(f"/api/v1/tickets/{ticket['id']}/comments", headers=bearer(admin_token)).json()[
            "items"
        ]
        return [(c["author_id"], c["body"]) for c in items]

    await eventually(lambda: len(comments()) == 2, "Anna's reply as a comment")
    assert comments()[1] == (anna["id"], "It is the HP in room 301.")

    # The same reply from Mallory, who may not see Anna's ticket: never a comment on it.
    dovecot.append(
        box["login"], mail(mallory["email"], box["login"], f"Re: {notification['Subject']}", reply, **headers)
    )

    def all_flagged() -> bool:
        seen = flags(dovecot, box["login"])
        return len(seen) == 3 and all(f >= PROCESSED for f in seen)

    await eventually(all_flagged, "all three mails flagged")
    assert len(comments()) == 2
    stats = mailbox_stats(api, admin_token, box["id"])
    assert (stats["ingested"], stats["replies"], stats["last_error"]) == (2, 1, None)
    # His mail became a ticket of his own.
    assert await _authors_of(stack, f"Re: {notification['Subject']}") == [mallory["id"]]


# ---- killed between the ticket and the flag ---------------------------------------------


async def _authors_of(stack: Stack, subject: str) -> list[int]:
    """The authors of the tickets with this subject, as tickets stored them."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT author_id FROM tickets.tickets WHERE subject = $1 ORDER BY id", subject
        )
    finally:
        await conn.close()
    return [r["author_id"] for r in rows]


async def _message(stack: Stack, mailbox_id: int) -> tuple[str, int]:
    """(status, attempts) of the mailbox's one message as mailin recorded it."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT status, attempts FROM mailin.messages WHERE mailbox_id = $1", mailbox_id
        )
    finally:
        await conn.close()
    assert row is not None
    return row["status"], row["attempts"]


def _crashing_mailin(stack: Stack, point: str) -> subprocess.Popen[bytes]:
    """mailin as the stack runs it (same ports, settings, certificate), armed to SIGKILL itself."""
    env = stack.service_env("mailin") | {"HELPDESK_MAILIN_TEST_CRASH_AT": point}
    log = (stack.log_dir / f"mailin-crash-{point}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "helpdesk_mailin", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


@pytest.mark.parametrize(
    ("point", "status_at_death"),
    [("after_ticket", "processing"), ("before_flag", "ticket")],
)
async def test_the_mailin_process_killed_between_the_ticket_and_the_flag_files_one_ticket_after_restart(
    stack: Stack, api: httpx.Client, admin_token: str, dovecot: Dovecot, point: str, status_at_death: str
) -> None:
    unit_id = new_unit(api, admin_token)
    member = user(api, admin_token, kind="staff", unit_id=unit_id)
    anna = user(api, admin_token, kind="client")
    subject = f"Killed {point} {secrets.token_hex(3)}"
    box = new_mailbox(api, admin_token, dovecot, unit_id)  # through mailin, which is still up
    stack.stop_service("mailin")  # its pollers must not take the mail first
    try:
        dovecot.append(box["login"], mail(anna["email"], box["login"], subject, "File me once."))
        crashing = _crashing_mailin(stack, point)
        try:
            code = crashing.wait(timeout=90)
        finally:
            if crashing.poll() is None:
                crashing.kill()
        assert code == -9, f"mailin was not killed at {point} (exit {code}); see {stack.log_dir}"
        # Dead at that very point: the ticket exists, the mail is not flagged.
        assert await _authors_of(stack, subject) == [anna["id"]]
        assert await _message(stack, box["id"]) == (status_at_death, 1)
        assert not PROCESSED & flags(dovecot, box["login"])[0]
    finally:
        stack.start_service("mailin")

    # The restarted process takes the mailbox over once the dead one's lease runs out (6 s).
    await eventually(
        lambda: flags(dovecot, box["login"])[0] >= PROCESSED, "the mail flagged after the restart"
    )
    assert await _authors_of(stack, subject) == [anna["id"]]  # one ticket, not two
    assert await _message(stack, box["id"]) == ("ticket", 2)  # seen twice, filed once
    # The gateway reaches the restarted mailin again within its reconnect backoff (≤ 5 s).
    stats = await eventually(lambda: _stats_if_up(api, admin_token, box["id"]), "mailin's admin API back", 30)
    assert (stats["ingested"], stats["quarantined"]) == (1, 0)
    popups = api.get("/api/v1/me/notifications", headers=bearer(member["token"])).json()["items"]
    created = [p["title"] for p in popups if p["body"] == subject]
    assert len(created) == 1 and created[0].endswith("— created"), created  # one pop-up: one ticket
