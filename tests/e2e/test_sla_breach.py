"""SLA end to end: a 3-second reaction limit breaches once, about 3 s after creation, and notify hears it."""

from __future__ import annotations

import asyncio
import secrets
import time

import asyncpg
import httpx
import nats
import pytest
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2

from helpdesk_devstack.stack import Stack
from helpdesk_kit.streams import MSG_ID_HEADER

from .conftest import bearer

pytestmark = pytest.mark.e2e


def make_ticket_with_plan(api: httpx.Client, admin_token: str, reaction_seconds: int) -> tuple[int, float]:
    auth = bearer(admin_token)
    unit = api.post("/api/v1/units", json={"name": f"SLA unit {secrets.token_hex(4)}"}, headers=auth)
    assert unit.status_code == 201, unit.text
    plan = api.post(
        "/api/v1/sla-plans",
        json={"name": "Three seconds", "limits": {"normal": {"reaction": reaction_seconds}}},
        headers=auth,
    )
    assert plan.status_code == 201, plan.text
    assert plan.json()["limits"]["normal"] == {"reaction": reaction_seconds, "work": None, "deadline": None}
    subject = api.post(
        "/api/v1/subjects",
        json={"name": f"Urgent {secrets.token_hex(3)}", "sla_plan_id": plan.json()["id"]},
        headers=auth,
    )
    assert subject.status_code == 201, subject.text
    created_at = time.time()
    ticket = api.post(
        "/api/v1/tickets",
        json={"subject": "Printer on fire", "subject_id": subject.json()["id"], "unit_id": unit.json()["id"]},
        headers=auth,
    )
    assert ticket.status_code == 201, ticket.text
    return ticket.json()["id"], created_at


async def test_a_three_second_reaction_limit_is_breached_once_three_seconds_after_creation(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    nc = await nats.connect(stack.nats_url)
    breaches: list[tuple[float, sla_events.SlaBreached, str]] = []

    async def on_breach(msg: nats.aio.msg.Msg) -> None:
        breaches.append(
            (
                time.time(),
                sla_events.SlaBreached.FromString(msg.data),
                (msg.headers or {}).get(MSG_ID_HEADER, ""),
            )
        )

    await nc.subscribe("sla.SlaBreached", cb=on_breach)
    try:
        ticket_id, created_at = await asyncio.to_thread(make_ticket_with_plan, api, admin_token, 3)
        await asyncio.sleep(7)  # the breach at ~3 s, then room for any duplicate
    finally:
        await nc.drain()

    mine = [(at, m, msg_id) for at, m, msg_id in breaches if m.ticket_id == ticket_id]
    assert len(mine) == 1, mine
    at, breach, msg_id = mine[0]
    assert 2.5 <= at - created_at <= 4.5, at - created_at
    assert breach.clock == sla_pb2.CLOCK_KIND_REACTION
    assert list(breach.assignee_ids) == [] and breach.unit_id > 0

    sla = api.get(f"/api/v1/tickets/{ticket_id}/sla", headers=bearer(admin_token))
    assert sla.status_code == 200, sla.text
    assert sla.json()["reaction"]["state"] == "breached"
    assert sla.json()["reaction"]["limit_seconds"] == 3
    assert sla.json()["deadline"]["state"] == "off"
    # The ticket itself carries the same clocks, alone and in a list.
    one = api.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(admin_token)).json()
    assert one["sla"]["reaction"]["state"] == "breached" and one["sla"]["deadline"]["state"] == "off"
    assert {k: v["limit_seconds"] for k, v in one["sla"].items()} == {
        k: v["limit_seconds"] for k, v in sla.json().items()
    }
    listed = api.get("/api/v1/tickets", params={"box": "inbox", "limit": 200}, headers=bearer(admin_token))
    row = next(t for t in listed.json()["items"] if t["id"] == ticket_id)
    assert row["sla"]["reaction"]["state"] == "breached"

    # notify consumed the breach (its inbox records every event it handled)
    conn = await asyncpg.connect(stack.database_url)
    try:
        handled = await conn.fetchval("SELECT count(*) FROM notify.inbox WHERE event_id = $1", msg_id)
    finally:
        await conn.close()
    assert handled == 1


def test_a_ticket_the_caller_cannot_see_has_no_sla_for_them(api: httpx.Client, admin_token: str) -> None:
    assert api.get("/api/v1/tickets/987654321/sla", headers=bearer(admin_token)).status_code == 404


def test_plans_and_calendars_refuse_bad_input_with_422(api: httpx.Client, admin_token: str) -> None:
    auth = bearer(admin_token)
    bad_zone = api.post("/api/v1/calendars", json={"name": "x", "time_zone": "Mars/Base"}, headers=auth)
    assert bad_zone.status_code == 422, bad_zone.text
    bad_limit = api.post(
        "/api/v1/sla-plans", json={"name": "x", "limits": {"low": {"work": -1}}}, headers=auth
    )
    assert bad_limit.status_code == 422
    cal = api.post(
        "/api/v1/calendars",
        json={
            "name": "Office",
            "time_zone": "Europe/Berlin",
            "hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]},
            "holidays": ["2026-12-25", {"from": "2026-12-31", "to": "2027-01-01"}],
        },
        headers=auth,
    )
    assert cal.status_code == 201, cal.text
    assert cal.json()["hours"] == {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}
    assert (
        api.get(
            "/api/v1/reports/sla?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", headers=auth
        ).status_code
        == 200
    )
