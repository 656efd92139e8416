"""ZENLIX's JSON API on the whole stack (every service a process, mTLS, passports, its own
database roles): a key made in the web profile files and reads a ticket through /api,
and a ZENLIX ``auth`` key reads it too; the key is revoked from the same page."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest
from playwright.async_api import Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import sign_in
from .test_web_agent import PASSWORD, new_unit, new_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


def zenlix(api: httpx.Client, **body: object) -> dict[str, object]:
    resp = api.post("/api", json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    item: dict[str, object] = answer[0] if isinstance(answer, list) else answer
    return item


async def test_a_key_made_in_the_profile_works_on_the_zenlix_api_until_revoked(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit = new_unit(api, admin_token, "Zenlix")
    user = new_user(api, admin_token, "Zina Zenlix Integrator", unit_ids=[unit])
    await sign_in(page, stack, user["login"], PASSWORD)
    await page.get_by_role("link", name="Profile", exact=True).click()
    await page.get_by_label("Key name").fill("Old monitoring")
    await page.get_by_role("button", name="Create key").click()
    secret = page.locator(".status code.secret")
    await expect(secret).not_to_be_empty()
    key = await secret.text_content()
    assert key and len(key) == 32
    await expect(page.locator("ul.keys")).to_contain_text("Old monitoring")
    await expect(page.locator("ul.keys")).not_to_contain_text(key)

    [me] = [
        u
        for u in zenlix(api, mode="get_user_by_dep", uniq_id=key, dep_code=str(unit))["users"]  # type: ignore[union-attr]
        if u["fio"] == "Zina Zenlix Integrator"
    ]
    created = zenlix(
        api,
        mode="create_ticket",
        uniq_id=key,
        user_to_id="0",
        subj="Backup failed",
        msg="Nightly backup of db-1 failed.",
        client_id=me["uniq_id"],
        unit_id=str(unit),
        prio="2",
    )
    assert created["status"] == "ok", created
    signed_in = zenlix(api, mode="auth", login=user["login"], **{"pass": PASSWORD})
    viewed = zenlix(api, mode="ticket_view", uniq_id=signed_in["uniq_id"], ticket_hash=created["ticket_hash"])
    [ticket] = viewed["ticket"]  # type: ignore[misc]
    assert (ticket["subj"], ticket["status"], ticket["access_priv"]) == ("Backup failed", "free", "lock")

    await page.locator("ul.keys li", has_text="Old monitoring").get_by_role("button", name="Revoke").click()
    await expect(page.locator("ul.keys")).not_to_contain_text("Old monitoring")
    for _ in range(100):  # the gateway re-asks identity about a key every 5 s
        if zenlix(api, mode="get_unit_list", uniq_id=key)["error_description"] == "system auth error":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the revoked key still works")
