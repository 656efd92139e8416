"""The admin area's webhooks page in a real browser: a webhook made to the example
receiver, a test event sent and seen in the delivery log, then redelivered; the page in
Russian; English and Russian screenshots."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, sign_in
from .test_webhooks import SECRET, Receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


async def test_an_admin_makes_a_webhook_sends_a_test_event_reads_the_log_and_redelivers(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str, tmp_path: Path
) -> None:
    receiver = Receiver(tmp_path / "events.jsonl")
    receiver.start()
    desk = f"Hooks {secrets.token_hex(3)}"
    made = api.post("/api/v1/units", json={"name": desk}, headers=bearer(admin_token))
    assert made.status_code == 201, made.text
    unit_id = made.json()["id"]
    url = f"http://127.0.0.1:{receiver.port}/helpdesk"
    hook_id = None
    try:
        await sign_in(page, stack, "system", ADMIN_PASSWORD)
        await page.goto(stack.gateway_url + "/#/admin/webhooks")
        await page.get_by_role("link", name="New webhook").click()
        await page.get_by_label("URL").fill(url)
        await page.get_by_label("ticket.commented").check()
        await page.get_by_label(desk).check()
        await page.get_by_label("Allowed internal range").fill("127.0.0.1/32")
        await page.get_by_label("Secret").fill(SECRET)
        await page.get_by_role("button", name="Create webhook").click()
        status = page.locator("main").get_by_role("status")
        await expect(status).to_contain_text(f"Webhook {url} created.")
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=url))
        await expect(row).to_contain_text("ticket.commented")
        [saved] = [
            w
            for w in api.get("/api/v1/webhooks", headers=bearer(admin_token)).json()["items"]
            if w["url"] == url
        ]
        hook_id = saved["id"]
        assert saved["unit_ids"] == [unit_id] and saved["has_secret"]

        await row.get_by_role("button", name="Send a test event").click()
        await expect(status).to_contain_text("A test event is on its way")
        for _ in range(100):
            if receiver.events():
                break
            await page.wait_for_timeout(100)
        [event] = receiver.events()  # signed with the secret we gave, or the receiver drops it
        assert event["type"] == "webhook.test" and event["data"] == {"webhook_id": hook_id}

        await page.get_by_role("link", name=url).click()
        log = page.get_by_role("table", name="Deliveries")
        await expect(log.get_by_role("row").filter(has_text="webhook.test")).to_contain_text("HTTP 204")
        await expect(log).to_contain_text("sent")
        await expect(page.locator("main")).not_to_contain_text("admin.")
        await page.screenshot(path=str(SCREENSHOTS / "en-admin-webhooks.png"), full_page=True)
        await log.get_by_role("button", name="Redeliver").first.click()
        await expect(page.locator("main").get_by_role("status")).to_contain_text("webhook.test queued again")
        await expect(log.get_by_role("row").filter(has_text="webhook.test")).to_have_count(2)
        assert len(receiver.events()) == 1  # the same id again: the receiver dropped it
    finally:
        receiver.stop()
        if hook_id is not None:
            api.delete(f"/api/v1/webhooks/{hook_id}", headers=bearer(admin_token))


async def test_a_russian_speaking_admin_gets_the_webhooks_page_in_russian(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    name = f"r{secrets.token_hex(4)}"
    body = {
        "login": name,
        "password": "admin-ru-pw-1",
        "full_name": "Мария Админова",
        "kind": "staff",
        "role": "unit_member",
        "language": "ru",
        "is_admin": True,
    }
    assert api.post("/api/v1/users", json=body, headers=bearer(admin_token)).status_code == 201
    hook = {
        "url": "http://127.0.0.1:9/off",
        "events": ["ticket.created"],
        "enabled": False,
        "allowed_cidr": "127.0.0.1/32",
    }
    made = api.post("/api/v1/webhooks", json=hook, headers=bearer(admin_token))
    assert made.status_code == 201, made.text
    try:
        await sign_in(page, stack, name, "admin-ru-pw-1")
        await expect(page.get_by_role("heading", name="Здравствуйте, Мария Админова")).to_be_visible()
        await page.goto(stack.gateway_url + "/#/admin/webhooks")
        await expect(page.get_by_role("heading", name="Вебхуки")).to_be_visible()
        await expect(page.get_by_role("button", name="Отправить тестовое событие").first).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("admin.")
        await page.screenshot(path=str(SCREENSHOTS / "ru-admin-webhooks.png"), full_page=True)
        await page.get_by_role("link", name="Новый вебхук").click()
        await expect(page.get_by_label("Разрешённый внутренний диапазон")).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("admin.")
    finally:
        api.delete(f"/api/v1/webhooks/{made.json()['id']}", headers=bearer(admin_token))
