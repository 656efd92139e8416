"""The admin area's mailboxes page in a real browser (Debian's Chromium via Playwright), against
the whole stack and a real dovecot: a mailbox made, tested, its mail quarantined, retried after
the fix, switched off; English and Russian screenshots."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from helpdesk_devstack.servers.dovecot import HOST, Dovecot
from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


def _unit(api: httpx.Client, admin_token: str, name: str) -> int:
    resp = api.post("/api/v1/units", json={"name": name}, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    unit_id: int = resp.json()["id"]
    return unit_id


def _client(api: httpx.Client, admin_token: str) -> str:
    name = f"c{secrets.token_hex(4)}"
    body = {"login": name, "password": "client-pw-1", "full_name": "Anna Client", "kind": "client"}
    resp = api.post(
        "/api/v1/users", json=body | {"email": f"{name}@client.example"}, headers=bearer(admin_token)
    )
    assert resp.status_code == 201, resp.text
    return f"{name}@client.example"


def _mail(sender: str, to: str, subject: str) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = f"<{secrets.token_hex(8)}@client.example>"
    m.set_content("The scanner on the 2nd floor is offline.")
    return m.as_bytes()


async def _quarantined(api: httpx.Client, admin_token: str, subject: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        items = api.get("/api/v1/mail-quarantine", headers=bearer(admin_token)).json()["items"]
        found = [q for q in items if q["subject"] == subject]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the mail was not quarantined within 60 s"
        await asyncio.sleep(0.5)


async def test_an_admin_adds_a_mailbox_tests_it_retries_its_quarantined_mail_after_a_fix_and_switches_it_off(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str, dovecot: Dovecot
) -> None:
    gone = _unit(api, admin_token, f"Soon gone {secrets.token_hex(3)}")
    support = f"Support {secrets.token_hex(3)}"
    support_id = _unit(api, admin_token, support)
    sender = _client(api, admin_token)
    address = f"help{secrets.token_hex(3)}@desk.example"
    dovecot.add_user(address, "imap-secret")
    name = f"Help desk {secrets.token_hex(2)}"

    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.get_by_role("link", name="Admin", exact=True).click()
    await page.get_by_role("link", name="Mailboxes", exact=True).click()
    await page.get_by_role("link", name="New mailbox").click()
    await page.get_by_label("Mailbox name").fill(name)
    await page.get_by_label("Server", exact=True).fill(HOST)
    await page.get_by_label("Security").select_option("tls")
    await page.get_by_label("Port", exact=True).fill(str(dovecot.tls_port))
    await page.get_by_label("Login", exact=True).fill(address)
    await page.get_by_label("Mailbox password").fill("imap-secret")
    await page.get_by_role("combobox", name="Unit", exact=True).select_option(str(gone))
    await page.get_by_role("button", name="Create mailbox").click()
    status = page.locator("main").get_by_role("status")
    await expect(status).to_contain_text(f"Mailbox “{name}” created.")
    # The mailbox's row (its name is a link; a quarantined mail's row names it too, as text).
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
    await expect(row).to_contain_text("On")
    [saved] = [
        m
        for m in api.get("/api/v1/mailboxes", headers=bearer(admin_token)).json()["items"]
        if m["name"] == name
    ]
    assert saved["password"] == "********" and saved["login"] == address  # write-only

    await row.get_by_role("button", name="Test connection").click()
    await expect(status).to_contain_text(f"{name}: signed in — INBOX: 0 messages")

    # The unit goes away: the mail cannot be filed and waits in quarantine with the reason.
    assert api.delete(f"/api/v1/units/{gone}", headers=bearer(admin_token)).status_code in (200, 204)
    subject = f"Scanner offline {secrets.token_hex(3)}"
    dovecot.append(address, _mail(sender, address, subject))
    held = await _quarantined(api, admin_token, subject)
    await page.reload()
    quarantined = page.get_by_role("row").filter(has_text=subject)
    await expect(quarantined).to_contain_text(sender)
    await expect(quarantined).to_contain_text(held["reason"][:40])
    await expect(row).to_contain_text("1 quarantined")
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "en-admin-mailboxes.png"), full_page=True)

    # The admin points the mailbox at a unit that exists (the password field left empty keeps it)...
    await page.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("heading", name=f"Mailbox “{name}”")).to_be_visible()
    assert await page.get_by_label("Mailbox password").input_value() == ""
    await page.get_by_role("combobox", name="Unit", exact=True).select_option(label=support)
    await page.get_by_role("button", name="Save").click()
    await expect(status).to_contain_text(f"Mailbox “{name}” saved.")
    await page.get_by_role("button", name="Test connection").click()
    await expect(status).to_contain_text("signed in")  # the stored password still works
    # ... and files the quarantined mail again.
    await page.get_by_role("link", name="Back to the list").click()
    await page.get_by_role("row").filter(has_text=subject).get_by_role("button", name="Retry").click()
    await expect(status).to_contain_text("Filed as ticket")
    await expect(page.get_by_role("row").filter(has_text=subject)).to_have_count(0)
    await expect(row).to_contain_text("1 new tickets")
    conn = await asyncpg.connect(stack.database_url)
    try:
        filed = await conn.fetch("SELECT unit_id FROM tickets.tickets WHERE subject = $1", subject)
    finally:
        await conn.close()
    assert [r["unit_id"] for r in filed] == [support_id]

    await row.get_by_role("button", name="Switch off").click()
    await expect(status).to_contain_text(f"“{name}” is no longer read.")
    await expect(row).to_contain_text("Off")
    [off] = [
        m
        for m in api.get("/api/v1/mailboxes", headers=bearer(admin_token)).json()["items"]
        if m["name"] == name
    ]
    assert off["enabled"] is False and off["unit_id"] == support_id


async def test_a_russian_speaking_admin_gets_the_mailboxes_page_in_russian(
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
    unit_id = _unit(api, admin_token, f"Поддержка {secrets.token_hex(3)}")
    mailbox = {
        "name": f"Отдел поддержки {secrets.token_hex(2)}",
        "enabled": False,
        "host": "imap.example.org",
        "login": "support@example.org",
        "password": "not-used",
        "unit_id": unit_id,
    }
    assert api.post("/api/v1/mailboxes", json=mailbox, headers=bearer(admin_token)).status_code == 201
    await sign_in(page, stack, name, "admin-ru-pw-1")
    await expect(page.get_by_role("heading", name="Здравствуйте, Мария Админова")).to_be_visible()
    await page.goto(stack.gateway_url + "/#/admin/mailboxes")
    await expect(page.get_by_role("heading", name="Почтовые ящики")).to_be_visible()
    await expect(page.get_by_role("heading", name="Карантин")).to_be_visible()
    await expect(page.get_by_role("button", name="Проверить подключение").first).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "ru-admin-mailboxes.png"), full_page=True)
    await page.get_by_role("link", name="Новый ящик").click()
    await expect(page.get_by_label("Пароль ящика")).to_be_visible()
    await expect(page.get_by_label("Письма с незнакомых адресов")).to_be_visible()  # noqa: RUF001
    await expect(page.locator("main")).not_to_contain_text("admin.")
