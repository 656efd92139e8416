"""The web interface in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import secrets
import shutil
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


async def test_an_admin_signs_in_creates_a_unit_and_a_ticket_and_sees_it(
    page: Page, stack: Stack, api: httpx.Client
) -> None:
    response = await page.goto(stack.gateway_url + "/")
    assert response is not None
    headers: dict[str, Any] = await response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"

    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("[object")

    unit = f"Web unit {secrets.token_hex(3)}"
    await page.get_by_role("link", name="Admin", exact=True).click()
    await page.get_by_label("Unit name").fill(unit)
    await page.get_by_role("button", name="Create unit").click()
    await expect(page.get_by_role("status").filter(has_text=unit)).to_be_visible()

    await page.get_by_role("link", name="New ticket", exact=True).click()
    await expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    await page.get_by_label("Unit").select_option(label=unit)
    await page.get_by_label("Subject").fill("<script>alert(1)</script> Printer")
    await page.get_by_label("Description").fill("Paper jam on the third floor")
    await page.get_by_role("button", name="Create ticket").click()
    heading = page.get_by_role("heading", name="<script>alert(1)</script> Printer")
    await expect(heading).to_be_visible()  # shown as text, not run as markup
    await expect(page.get_by_text("Paper jam on the third floor")).to_be_visible()


async def test_a_russian_speaking_member_gets_the_interface_in_russian_and_a_live_pop_up(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit = api.post(
        "/api/v1/units", json={"name": f"Отдел {secrets.token_hex(3)}"}, headers=bearer(admin_token)
    )
    unit_id = unit.json()["id"]
    name = f"ivan{secrets.token_hex(3)}"
    created = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "ivan-password",
            "full_name": "Иван Петров",
            "kind": "staff",
            "role": "unit_member",
            "unit_ids": [unit_id],
            "language": "ru",
        },
        headers=bearer(admin_token),
    )
    assert created.status_code == 201, created.text
    await sign_in(page, stack, name, "ivan-password")
    await expect(page.get_by_role("heading", name="Здравствуйте, Иван Петров")).to_be_visible()
    await expect(page.get_by_role("heading", name="Входящие")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("[object")

    # A ticket for his unit pops up on his open page without a reload.
    ticket = api.post(
        "/api/v1/tickets",
        json={"subject": "Сломался принтер", "unit_id": unit_id},
        headers=bearer(admin_token),
    ).json()
    toast = page.locator(".toast").filter(has_text="Сломался принтер")
    await expect(toast).to_be_visible(timeout=15_000)
    await page.screenshot(path=str(SCREENSHOTS / "ru-popup.png"))
    await toast.get_by_role("link").click()
    await expect(page.get_by_role("heading", name=f"#{ticket['number']} Сломался принтер")).to_be_visible()


async def test_a_wrong_password_is_told_and_no_token_reaches_the_url(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, "system", "not-the-password")
    await expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    assert "token" not in page.url


def test_the_socket_cookie_is_http_only_strict_and_scoped_to_ws(api: httpx.Client, admin_token: str) -> None:
    resp = api.post("/web/session", headers=bearer(admin_token))
    assert resp.status_code == 204
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ws" in cookie
    assert api.post("/web/session").status_code == 401
