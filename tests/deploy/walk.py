"""The walking skeleton, driven through the gateway's public API as an integrator would."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx


def admin_session(api: httpx.Client, password: str) -> dict[str, str]:
    """Signs in as ``system``; the authorization header of the session."""
    resp = api.post("/api/v1/auth/login", json={"login": "system", "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def create_ticket_with_plan(
    api: httpx.Client, auth: dict[str, str], *, reaction_seconds: int
) -> dict[str, Any]:
    """A unit, an SLA plan with this reaction limit, a subject using it, and a ticket of both."""
    tag = secrets.token_hex(4)
    unit = api.post("/api/v1/units", json={"name": f"Support {tag}"}, headers=auth)
    assert unit.status_code == 201, unit.text
    plan = api.post(
        "/api/v1/sla-plans",
        json={"name": f"Plan {tag}", "limits": {"normal": {"reaction": reaction_seconds}}},
        headers=auth,
    )
    assert plan.status_code == 201, plan.text
    subject = api.post(
        "/api/v1/subjects", json={"name": f"Printers {tag}", "sla_plan_id": plan.json()["id"]}, headers=auth
    )
    assert subject.status_code == 201, subject.text
    ticket = api.post(
        "/api/v1/tickets",
        json={
            "subject": f"Printer on fire {tag}",
            "body": "Third floor",
            "subject_id": subject.json()["id"],
            "unit_id": unit.json()["id"],
        },
        headers=auth,
    )
    assert ticket.status_code == 201, ticket.text
    created: dict[str, Any] = ticket.json()
    return created


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float = 0.2) -> bool:
    """Whether ``condition`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()
