"""One ticket through all six services: gateway → tickets → NATS → sla, notify → realtime."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from websockets.typing import Origin

from helpdesk_devstack.stack import Stack
from helpdesk_devstack.testing.otlp import CollectedSpan, SpanCollector

from .conftest import bearer, login

pytestmark = pytest.mark.e2e


def make_unit_with_member(api: httpx.Client, admin_token: str) -> tuple[int, int, str]:
    unit = api.post(
        "/api/v1/units", json={"name": f"Unit {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    login_name = f"member{secrets.token_hex(4)}"
    user = api.post(
        "/api/v1/users",
        json={
            "login": login_name,
            "password": "member-password",
            "full_name": "Unit Member",
            "kind": "staff",
            "role": "unit_member",
            "unit_ids": [unit_id],
        },
        headers=bearer(admin_token),
    )
    assert user.status_code == 201, user.text
    return unit_id, user.json()["id"], login(api, login_name, "member-password")


def ws_url(stack: Stack, token: str) -> str:
    return stack.http_url("realtime").replace("http://", "ws://") + f"/ws?token={token}"


async def next_notification(ws: Any, timeout: float) -> dict[str, Any]:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
        if msg["type"] == "notification":
            return msg


async def test_a_created_ticket_pops_up_on_the_unit_members_socket(
    stack: Stack, api: httpx.Client, admin_token: str, span_collector: SpanCollector
) -> None:
    unit_id, member_id, member_token = make_unit_with_member(api, admin_token)
    async with websockets.connect(ws_url(stack, member_token), origin=Origin(stack.gateway_url)) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert hello == {"type": "hello", "user_id": member_id}

        created = api.post(
            "/api/v1/tickets",
            json={
                "subject": "Printer on fire",
                "body": "Third floor",
                "priority": "high",
                "unit_id": unit_id,
            },
            headers=bearer(admin_token),
        )
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["state"] == "new" and ticket["priority"] == "high" and ticket["number"] >= 1
        assert len(ticket["ref"]) >= 20

        popup = await next_notification(ws, timeout=10)
    assert popup["ticket_id"] == ticket["id"]
    assert popup["title"] == f"Ticket #{ticket['number']} — created"
    assert popup["body"] == "Printer on fire"

    stored = api.get("/api/v1/me/notifications", headers=bearer(member_token)).json()["items"]
    assert [n["ticket_id"] for n in stored][:1] == [ticket["id"]]
    # The actor is never told of his own ticket.
    mine = api.get("/api/v1/me/notifications", headers=bearer(admin_token)).json()["items"]
    assert ticket["id"] not in [n["ticket_id"] for n in mine]

    # sla started the ticket's clocks from the same event.
    conn = await asyncpg.connect(stack.database_url)
    try:
        kinds = await conn.fetch(
            "SELECT kind FROM sla.clocks WHERE ticket_id = $1 ORDER BY kind", ticket["id"]
        )
    finally:
        await conn.close()
    assert [r["kind"] for r in kinds] == ["deadline", "reaction", "work"]

    # One trace runs from the gateway through tickets and NATS to notify.
    def one_trace(spans: list[CollectedSpan]) -> bool:
        return _services_in_trace_of(spans, "POST /api/v1/tickets") >= {"gateway", "tickets", "notify", "sla"}

    spans = span_collector.wait_for(one_trace)
    assert _services_in_trace_of(spans, "POST /api/v1/tickets") >= {"gateway", "tickets", "notify", "sla"}


def _services_in_trace_of(spans: list[CollectedSpan], root_name: str) -> set[str]:
    """Services that took part in the newest trace whose gateway span has this name."""
    roots = [s for s in spans if s.service == "gateway" and s.name == root_name and not s.parent_span_id]
    if not roots:
        return set()
    trace_id = roots[-1].trace_id
    return {s.service for s in spans if s.trace_id == trace_id}


async def test_bad_input_is_a_problem_and_creates_nothing(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        before = await conn.fetchval("SELECT count(*) FROM tickets.tickets")
        cases = [
            ({"body": "no subject", "unit_id": 1}, "subject"),
            ({"subject": "x", "unit_id": 1, "priority": "urgent"}, "priority"),
            ({"subject": "x", "unit_id": 999_999}, "unit_id"),
            ({"subject": "   ", "unit_id": 1}, "subject"),
            ({"subject": "x", "unit_id": 1, "surprise": True}, "surprise"),
        ]
        for body, field in cases:
            resp = api.post("/api/v1/tickets", json=body, headers=bearer(admin_token))
            assert resp.status_code == 422, (body, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
            problem = resp.json()
            assert problem["status"] == 422 and problem["title"] and problem["detail"]
            assert field in [e["field"] for e in problem["errors"]], problem
        not_json = api.post(
            "/api/v1/tickets",
            content=b"{",
            headers={**bearer(admin_token), "content-type": "application/json"},
        )
        assert not_json.status_code == 422
        assert await conn.fetchval("SELECT count(*) FROM tickets.tickets") == before
        assert await conn.fetchval("SELECT count(*) FROM tickets.outbox") == 0
    finally:
        await conn.close()


def test_without_a_token_nothing_is_created(api: httpx.Client) -> None:
    resp = api.post("/api/v1/tickets", json={"subject": "x", "unit_id": 1})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    forged = api.post("/api/v1/tickets", json={"subject": "x", "unit_id": 1}, headers=bearer("abc.def.ghi"))
    assert forged.status_code == 401


async def test_a_socket_without_a_valid_token_is_refused(stack: Stack) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(ws_url(stack, "not-a-token"), origin=Origin(stack.gateway_url)) as ws:
            await ws.recv()


async def test_an_event_committed_while_tickets_is_killed_before_publishing_is_delivered_after_restart(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id, _, member_token = make_unit_with_member(api, admin_token)
    stack.nats_server.stop()  # the relay cannot publish: the event stays in the outbox
    try:
        created = api.post(
            "/api/v1/tickets",
            json={"subject": "Committed, not published", "unit_id": unit_id},
            headers=bearer(admin_token),
        )
        assert created.status_code == 201, created.text
        conn = await asyncpg.connect(stack.database_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM tickets.outbox") == 1
        finally:
            await conn.close()
        stack.stop_service("tickets", kill=True)
    finally:
        stack.nats_server.start()
    stack.start_service("tickets")
    ticket_id = created.json()["id"]
    for _ in range(100):
        items = api.get("/api/v1/me/notifications", headers=bearer(member_token)).json()["items"]
        if any(n["ticket_id"] == ticket_id for n in items):
            break
        await asyncio.sleep(0.2)
    assert [n["ticket_id"] for n in items].count(ticket_id) == 1
