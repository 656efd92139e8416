"""A dependency away for minutes: what happens meanwhile waits, and arrives once after.

Identity down for two minutes while tickets are filed (by the recurring schedules,
which need nobody's sign-in): notify cannot learn who to tell, so its consumer retries
the events as transient failures — far past ``max_deliveries``, never parking them —
and once identity is back every pop-up and mail arrives, once.

The stack runs with ``HELPDESK_CONSUMER_RETRY_CAP_SECONDS=5`` (tests/e2e/conftest.py):
the pauses between tries double up to 5 s instead of 5 min. That shortens only the
wait after identity returns; the outage keeps its two minutes and the consumer goes
down the same path (some twenty tries per event instead of seven).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from helpdesk_devstack.stack import Stack

from .conftest import bearer, login

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 120
SCHEDULES = 3


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[tuple[str, str]] = []  # (recipient, Message-ID)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.extend((rcpt, str(msg["Message-ID"])) for rcpt in envelope.rcpt_tos)
        return "250 OK"

    def received(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.mails)


@pytest.fixture
def sink() -> Iterator[tuple[int, Sink]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def staff(api: httpx.Client, admin_token: str, unit_id: int) -> tuple[str, str]:
    name = f"o{secrets.token_hex(4)}"
    resp = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "member-password",
            "full_name": f"Member {name}",
            "email": f"{name}@example.test",
            "kind": "staff",
            "role": "unit_member",
            "unit_ids": [unit_id],
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    return f"{name}@example.test", name


async def count(stack: Stack, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(stack.database_url)
    try:
        value: int = await conn.fetchval(sql, *args)
        return value
    finally:
        await conn.close()


@pytest.mark.timeout(900)  # a two-minute outage, after the stack's start on a busy machine
async def test_identity_down_two_minutes_while_tickets_are_filed_every_notification_arrives_after(
    stack: Stack, api: httpx.Client, admin_token: str, sink: tuple[int, Sink]
) -> None:
    port, mails = sink
    mail = api.put(
        "/api/v1/settings/mail",
        json={"enabled": True, "host": "127.0.0.1", "port": port, "security": "none",
              "from_address": "helpdesk@example.test", "password": ""},
        headers=bearer(admin_token),
    )  # fmt: skip
    assert mail.status_code == 200, mail.text
    unit = api.post(
        "/api/v1/units", json={"name": f"Outage {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    unit_id = unit.json()["id"]
    members = [staff(api, admin_token, unit_id) for _ in range(2)]
    marker = f"outage-{secrets.token_hex(4)}"

    # Filed by tickets' own schedule at the first whole minute at least 20 s into the outage.
    stop_at = datetime.now(UTC) + timedelta(seconds=3)
    due = (stop_at + timedelta(seconds=80)).replace(second=0, microsecond=0)
    for n in range(SCHEDULES):
        made = api.post(
            "/api/v1/recurring-tickets",
            json={"subject": f"{marker} {n}", "unit_id": unit_id, "kind": "daily",
                  "at": due.strftime("%H:%M"), "start": due.date().isoformat()},
            headers=bearer(admin_token),
        )  # fmt: skip
        assert made.status_code == 201, made.text
        assert made.json()["next_run_at"].startswith(due.strftime("%Y-%m-%dT%H:%M"))
    filed_sql = "SELECT count(*) FROM tickets.tickets WHERE subject LIKE $1 AND source = 'recurring'"
    popups_sql = (
        "SELECT count(*) FROM notify.notifications n JOIN tickets.tickets t ON t.id = n.ticket_id"
        " WHERE t.subject LIKE $1"
    )

    log = stack.log_path("notify")
    log_before = log.stat().st_size
    stack.stop_service("identity")
    stopped = time.monotonic()
    try:
        while await count(stack, filed_sql, f"{marker}%") < SCHEDULES:
            assert time.monotonic() - stopped < OUTAGE_SECONDS - 10, "the schedules did not file"
            await asyncio.sleep(1)
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        # Two minutes without identity: nothing told yet, nothing given up on.
        assert await count(stack, popups_sql, f"{marker}%") == 0
        assert [m for m in mails.received() if m[0] in {a for a, _ in members}] == []
        assert await count(stack, "SELECT count(*) FROM notify.dead_letters WHERE replayed_at IS NULL") == 0
        with log.open("rb") as fh:
            fh.seek(log_before)
            retried = fh.read().decode(errors="replace").count("consumer.retry_transient")
        assert retried >= SCHEDULES * 6, retried  # more tries than max_deliveries (5) each
    finally:
        stack.start_service("identity")
    back = time.monotonic()
    # The gateway reaches identity again within seconds (its channel retries every 5 s at most).
    while api.get("/readyz").status_code != 200:
        assert time.monotonic() - back < 10, api.get("/readyz").text
        await asyncio.sleep(0.2)

    addresses = sorted(a for a, _ in members)
    expected = sorted(addresses * SCHEDULES)
    deadline = time.monotonic() + 60
    while sorted(r for r, _ in mails.received() if r in addresses) != expected:
        assert time.monotonic() < deadline, mails.received()
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # anything twice would show by now
    got = [(r, mid) for r, mid in mails.received() if r in addresses]
    assert sorted(r for r, _ in got) == expected and len(set(got)) == len(got)
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT id FROM tickets.tickets WHERE subject LIKE $1", f"{marker}%")
    finally:
        await conn.close()
    filed = {r["id"] for r in rows}
    for _, name in members:
        items = api.get("/api/v1/me/notifications", headers=bearer(login(api, name, "member-password")))
        assert sorted(n["ticket_id"] for n in items.json()["items"] if n["ticket_id"] in filed) == sorted(
            filed
        )
    assert await count(stack, popups_sql, f"{marker}%") == SCHEDULES * len(members)
    assert await count(stack, "SELECT count(*) FROM notify.dead_letters WHERE replayed_at IS NULL") == 0
