"""One service down takes only its own routes down: with notify stopped the gateway
stays ready, tickets are filed and read, notify's routes answer a 503 problem naming
notify, and the system page shows it down — and up again once it is back."""

from __future__ import annotations

import time

import httpx
import pytest

from helpdesk_devstack.stack import Stack

from .conftest import bearer

pytestmark = pytest.mark.e2e


def _services(api: httpx.Client, token: str) -> dict[str, str]:
    body = api.get("/api/v1/system", headers=bearer(token)).raise_for_status().json()
    return {s["name"]: s["status"] for s in body["services"]} | {"overall": body["status"]}


def test_with_notify_stopped_the_rest_of_the_site_works_and_the_system_page_says_so(
    stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit = api.post("/api/v1/units", json={"name": "Degraded"}, headers=bearer(admin_token)).json()
    stack.stop_service("notify")
    try:
        assert httpx.get(stack.gateway_url + "/readyz", timeout=5).status_code == 200
        made = api.post(
            "/api/v1/tickets",
            json={"subject": "Filed while notify is away", "unit_id": unit["id"]},
            headers=bearer(admin_token),
        )
        assert made.status_code == 201, made.text
        read = api.get(f"/api/v1/tickets/{made.json()['id']}", headers=bearer(admin_token))
        assert read.status_code == 200 and read.json()["subject"] == "Filed while notify is away"
        away = api.get("/api/v1/me/notifications", headers=bearer(admin_token))
        assert away.status_code == 503
        assert away.headers["content-type"] == "application/problem+json"
        assert away.json()["detail"] == "The notify service is unavailable."
        services = _services(api, admin_token)
        assert services["notify"] == "down" and services["tickets"] == "up"
        assert services["overall"] == "degraded"
    finally:
        stack.start_service("notify")
    deadline = time.monotonic() + 60
    while (services := _services(api, admin_token))["notify"] != "up" and time.monotonic() < deadline:
        time.sleep(1)
    assert services["notify"] == "up", services
