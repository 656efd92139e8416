"""The agent and client pages in a real browser: the live journey of a ticket,
what a client may not reach, the presence banner, and the screenshots."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Dialog, FilePayload, Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]

PASSWORD = "web-agent-password"
LIVE = 15_000  # ms: how long a live update may take on the busy test machine


def new_unit(api: httpx.Client, admin_token: str, name: str) -> int:
    resp = api.post(
        "/api/v1/units", json={"name": f"{name} {secrets.token_hex(3)}"}, headers=bearer(admin_token)
    )
    assert resp.status_code == 201, resp.text
    unit_id: int = resp.json()["id"]
    return unit_id


def new_user(api: httpx.Client, admin_token: str, full_name: str, **fields: Any) -> dict[str, Any]:
    body = {
        "login": f"u{secrets.token_hex(4)}",
        "password": PASSWORD,
        "full_name": full_name,
        "kind": "staff",
        "role": "unit_member",
        **fields,
    }
    if body["kind"] == "client":
        body.pop("role")
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    user: dict[str, Any] = resp.json()
    return user


@asynccontextmanager
async def second_page(browser: Browser, locale: str = "en-US") -> AsyncIterator[Page]:
    """Another browser (its own context), failing the test on a CSP violation or script error."""
    context = await browser.new_context(viewport={"width": 1100, "height": 760}, locale=locale)
    p = await context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield p
    finally:
        await context.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


async def test_a_client_ticket_reaches_the_unit_live_and_the_client_follows_its_work_live(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Journey")
    member = new_user(api, admin_token, "Maria Member", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Carl Client", kind="client")
    subject = f"VPN is down {secrets.token_hex(2)}"

    async with second_page(browser) as agent:
        await sign_in(agent, stack, member["login"], PASSWORD)
        await agent.get_by_role("link", name="Inbox", exact=True).click()
        await expect(agent.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()

        # The client writes the ticket in his browser.
        await sign_in(page, stack, client["login"], PASSWORD)
        await expect(page.get_by_role("link", name="My tickets", exact=True)).to_be_visible()
        await expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_hidden()
        await page.get_by_role("link", name="New ticket", exact=True).click()
        await page.get_by_label("Unit").select_option(str(unit_id))
        await expect(page.get_by_label("Priority")).to_have_count(0)  # clients do not choose it
        await page.get_by_label("Subject").fill(subject)
        await page.get_by_label("Description").fill("I cannot reach the office network.")
        await page.get_by_role("button", name="Create ticket").click()
        await expect(page.get_by_role("heading", name=subject)).to_be_visible()
        await expect(page.locator(".state")).to_have_text("New")
        filed = int(page.url.rsplit("/", 1)[-1])
        assert api.get(f"/api/v1/tickets/{filed}", headers=bearer(admin_token)).json()["source"] == "web"

        # The member gets the pop-up and the row in his open inbox, without a reload.
        await expect(agent.locator(".toast").filter(has_text=subject)).to_be_visible(timeout=LIVE)
        row = agent.locator("#ticket-list tr").filter(has_text=subject)
        await expect(row).to_be_visible(timeout=LIVE)
        await row.get_by_role("link", name=subject).click()
        await agent.get_by_role("button", name="Take").click()
        await expect(agent.locator(".state")).to_have_text("In work")
        await agent.get_by_label("Comment", exact=True).fill(
            "Restarted the **VPN gateway**; try again please."
        )
        await agent.get_by_role("tab", name="Preview").click()
        await expect(agent.locator("#comment-preview strong")).to_have_text("VPN gateway")
        await agent.get_by_role("button", name="Send").click()
        await expect(agent.locator("#comments strong").filter(has_text="VPN gateway")).to_be_visible()

        # The client's open ticket page shows the comment (rendered Markdown) and the state live.
        await expect(page.locator("#comments .comment-body strong")).to_have_text("VPN gateway", timeout=LIVE)
        await expect(page.locator(".state")).to_have_text("In work", timeout=LIVE)
        await agent.get_by_role("button", name="Complete").click()
        await expect(page.locator(".state")).to_have_text("Done", timeout=LIVE)
        # A client is never offered the staff actions.
        await expect(page.get_by_role("button", name="Take")).to_have_count(0)
        await expect(page.get_by_role("button", name="Complete")).to_have_count(0)


async def test_a_client_reaches_neither_staff_pages_nor_another_clients_ticket(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Privacy")
    alice = new_user(api, admin_token, "Alice Client", kind="client")
    bob = new_user(api, admin_token, "Bob Client", kind="client")
    bob_token = api.post("/api/v1/auth/login", json={"login": bob["login"], "password": PASSWORD}).json()[
        "access_token"
    ]
    secret_subject = f"Bob's salary question {secrets.token_hex(2)}"
    other = api.post(
        "/api/v1/tickets", json={"subject": secret_subject, "unit_id": unit_id}, headers=bearer(bob_token)
    ).json()

    await sign_in(page, stack, alice["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Alice Client")).to_be_visible()
    not_found = page.get_by_text("There is no such page or ticket, or you may not see it.")

    await page.goto(f"{stack.gateway_url}/#/users/1")
    await expect(not_found).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/units/{unit_id}")
    await expect(not_found).to_be_visible()
    # The not-found text is still on screen from the previous step: wait for the server's answer.
    ticket_url = f"/api/v1/tickets/{other['id']}"
    async with page.expect_response(lambda r: r.url.endswith(ticket_url)) as answer:
        await page.goto(f"{stack.gateway_url}/#/tickets/{other['id']}")
    assert (await answer.value).status == 404
    await expect(not_found).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text(secret_subject)

    # The staff inbox is, for a client, just his own tickets: no boxes, no staff filters.
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox")
    await expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    await expect(page.get_by_role("link", name="Outbox")).to_have_count(0)
    await expect(page.get_by_label("Unit")).to_have_count(0)
    await expect(page.get_by_text("No tickets.")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text(secret_subject)


async def test_two_members_on_one_ticket_see_who_is_viewing_and_who_is_replying(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Presence")
    anna = new_user(api, admin_token, "Anna Agent", unit_ids=[unit_id])
    boris = new_user(api, admin_token, "Boris Agent", unit_ids=[unit_id])
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Shared printer", "unit_id": unit_id}, headers=bearer(admin_token)
    ).json()

    await sign_in(page, stack, anna["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Anna Agent")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    await expect(page.get_by_role("heading", name="Shared printer")).to_be_visible()
    banner = page.locator("#presence")
    await expect(banner).to_be_hidden()

    async with second_page(browser) as other:
        await sign_in(other, stack, boris["login"], PASSWORD)
        await expect(other.get_by_role("heading", name="Hello, Boris Agent")).to_be_visible()
        await other.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
        await expect(other.get_by_role("heading", name="Shared printer")).to_be_visible()

        await expect(banner).to_have_text("Boris Agent is viewing", timeout=LIVE)
        await expect(other.locator("#presence")).to_have_text("Anna Agent is viewing", timeout=LIVE)
        await other.get_by_label("Comment", exact=True).fill("I am on it")
        await expect(banner).to_have_text("Boris Agent is replying", timeout=LIVE)

        await other.get_by_role("link", name="Dashboard", exact=True).click()
        await expect(banner).to_be_hidden(timeout=LIVE)


async def _screens(page: Page, stack: Stack, api: httpx.Client, admin_token: str, lang: str) -> None:
    ru = lang == "ru"
    unit_id = new_unit(api, admin_token, "Служба ИТ" if ru else "IT service")
    name = "Ирина Смирнова" if ru else "Irene Smith"
    member = new_user(api, admin_token, name, unit_ids=[unit_id], language=lang, email="irene@example.com")
    plan = api.post(
        "/api/v1/sla-plans",
        json={
            "name": f"Standard {secrets.token_hex(2)}",
            "limits": {"normal": {"reaction": 900, "work": 4 * 3600, "deadline": 8 * 3600}},
        },
        headers=bearer(admin_token),
    )
    assert plan.status_code == 201, plan.text
    subj = api.post(
        "/api/v1/subjects",
        json={
            "name": f"{'Доступ к сети' if ru else 'Network access'} {secrets.token_hex(2)}",
            "sla_plan_id": plan.json()["id"],
        },
        headers=bearer(admin_token),
    )
    assert subj.status_code == 201, subj.text
    token = api.post("/api/v1/auth/login", json={"login": member["login"], "password": PASSWORD}).json()[
        "access_token"
    ]
    ticket = api.post(
        "/api/v1/tickets",
        json={
            "subject_id": subj.json()["id"],
            "body": "Удалённый доступ из дома не работает." if ru else "The VPN does not connect from home.",
            "unit_id": unit_id,
        },
        headers=bearer(admin_token),
    ).json()
    api.post(f"/api/v1/tickets/{ticket['id']}/lock", headers=bearer(token))
    comment = (
        "Перезапустил **шлюз**, проверьте, пожалуйста." if ru else "Restarted the **gateway**, please check."
    )
    api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": comment}, headers=bearer(token))

    await page.goto(stack.gateway_url + "/")
    await expect(page.get_by_role("button", name="Войти" if ru else "Sign in")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-login.png"))
    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(
        page.get_by_role("heading", name=f"{'Здравствуйте' if ru else 'Hello'}, {name}")
    ).to_be_visible()
    await expect(page.locator("#dashboard-inbox tr").nth(1)).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("[object")
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-dashboard.png"))

    await page.get_by_role("link", name="Входящие" if ru else "Inbox", exact=True).click()
    await expect(page.locator("#ticket-list tr").nth(1)).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-inbox.png"))

    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    await expect(page.locator(".clock")).to_have_count(3)
    countdown = page.locator(".clock[data-kind=work] .clock-left")
    await expect(countdown).not_to_be_empty()
    before = await countdown.text_content()
    await expect(countdown).not_to_have_text(before or "", timeout=3_000)  # it ticks every second
    await expect(page.locator("#comments .comment-body strong")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("[object")
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-ticket.png"), full_page=True)

    await page.get_by_role("link", name="Новая заявка" if ru else "New ticket").click()
    await expect(page.get_by_label("Тема" if ru else "Subject")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-new-ticket.png"), full_page=True)

    await page.get_by_role("link", name="Профиль" if ru else "Profile").click()
    await expect(page.get_by_role("heading", name="Профиль" if ru else "Profile", exact=True)).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-profile.png"), full_page=True)


async def test_screenshots_of_every_agent_page_in_english(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _screens(page, stack, api, admin_token, "en")


async def test_screenshots_of_every_agent_page_in_russian(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    async with second_page(browser, locale="ru-RU") as page:
        await _screens(page, stack, api, admin_token, "ru")


async def test_an_edit_made_on_an_outdated_form_is_refused_and_the_ticket_reloaded(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Edits")
    head = new_user(api, admin_token, "Hanna Head", role="unit_head", unit_ids=[unit_id])
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Old subject", "unit_id": unit_id}, headers=bearer(admin_token)
    ).json()
    await sign_in(page, stack, head["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Hanna Head")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    await page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit")
    await expect(dialog.get_by_label("Subject")).to_have_value("Old subject")

    changed = api.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"subject": "Changed by the admin"},
        headers=bearer(admin_token),
    )
    assert changed.status_code == 200, changed.text
    await dialog.get_by_label("Subject").fill("Changed by the head")
    await dialog.get_by_role("button", name="Save").click()

    await expect(page.get_by_role("alert").filter(has_text="changed meanwhile")).to_be_visible()
    await expect(page.get_by_role("heading", name="Changed by the admin")).to_be_visible()
    assert api.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(admin_token)).json()["subject"] == (
        "Changed by the admin"
    )

    # On the fresh form the edit goes through.
    await page.get_by_role("button", name="Edit").click()
    await dialog.get_by_label("Priority").select_option("high")
    await dialog.get_by_role("button", name="Save").click()
    await expect(page.locator(".prio")).to_have_text("High")


async def test_a_file_attached_to_a_comment_is_downloaded_by_the_client_without_a_token_in_the_url(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Files")
    member = new_user(api, admin_token, "Fiona Files", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Cody Client", kind="client")
    client_token = api.post(
        "/api/v1/auth/login", json={"login": client["login"], "password": PASSWORD}
    ).json()["access_token"]
    ticket = api.post(
        "/api/v1/tickets",
        json={"subject": "Need the manual", "unit_id": unit_id},
        headers=bearer(client_token),
    ).json()

    async with second_page(browser) as agent:
        await sign_in(agent, stack, member["login"], PASSWORD)
        await expect(agent.get_by_role("heading", name="Hello, Fiona Files")).to_be_visible()
        await agent.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
        await agent.get_by_label("Comment", exact=True).fill("Here is the manual.")
        await agent.get_by_label("Attach files").set_input_files(
            files=[FilePayload(name="manual.txt", mimeType="text/plain", buffer=b"Press the green button.\n")]
        )
        await agent.get_by_role("button", name="Send").click()
        await expect(agent.locator("#attachments").get_by_role("button", name="manual.txt")).to_be_visible()

    await sign_in(page, stack, client["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Cody Client")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    await expect(page.get_by_text("Here is the manual.")).to_be_visible()
    async with page.expect_download() as info:
        await page.locator("#attachments").get_by_role("button", name="manual.txt").click()
    download = await info.value
    assert download.suggested_filename == "manual.txt"
    assert download.url.startswith("blob:")
    path = await download.path()
    assert path is not None
    assert await asyncio.to_thread(Path(path).read_bytes) == b"Press the green button.\n"


async def test_a_user_with_two_factor_sign_in_is_asked_for_the_code_and_gets_in_with_it(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    pyotp = pytest.importorskip("pyotp")
    user = new_user(api, admin_token, "Tom Totp", unit_ids=[new_unit(api, admin_token, "2FA")])
    token = api.post("/api/v1/auth/login", json={"login": user["login"], "password": PASSWORD}).json()[
        "access_token"
    ]
    secret = api.post("/api/v1/me/totp", headers=bearer(token)).json()["secret"]
    confirmed = api.post(
        "/api/v1/me/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=bearer(token)
    )
    assert confirmed.json()["enabled"] is True

    await sign_in(page, stack, user["login"], "not-the-password")
    await expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")
    code = page.get_by_label("One-time code")
    await expect(code).to_be_hidden()  # a wrong password reveals nothing about the second factor
    await sign_in(page, stack, user["login"], PASSWORD)
    asked = "Enter the one-time code from your authenticator app."
    await expect(page.get_by_role("alert")).to_have_text(asked)
    await expect(code).to_be_visible()
    # A code works once: the one that confirmed is spent, the next 30-second step's is not.
    await code.fill(pyotp.TOTP(secret).at(time.time() + 30))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Hello, Tom Totp")).to_be_visible()


async def test_forgot_password_answers_the_same_for_anyone_and_a_bad_reset_link_is_told(
    page: Page, stack: Stack
) -> None:
    await page.goto(stack.gateway_url + "/")
    await page.get_by_role("link", name="Forgot password?").click()
    await page.get_by_label("Login or e-mail").fill(f"nobody-{secrets.token_hex(3)}@example.com")
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.get_by_role("status").filter(has_text="If the account exists")).to_be_visible()

    # The link exactly as identity mails it: <public_url>/auth/reset?token=…
    await page.goto(f"{stack.gateway_url}/auth/reset?token=not-a-real-token")
    await page.get_by_label("New password", exact=True).fill("a-new-password-1")
    assert "not-a-real-token" not in page.url  # dropped from the address bar once read
    await page.get_by_label("Repeat the new password").fill("a-new-password-1")
    await page.get_by_role("button", name="Set the password").click()
    told = page.locator("main .status")
    await expect(told).not_to_be_empty()
    await expect(told).not_to_have_text("Your password is changed. You can sign in now.")
    await expect(page.get_by_role("button", name="Set the password")).to_be_visible()


# The elements that stick out on the right (to tell which one breaks the layout).
WIDEST = """[...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > 375)
  .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 8)"""


async def test_the_pages_fit_a_375_pixel_wide_phone(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Phone")
    member = new_user(api, admin_token, "Pavel Phone", unit_ids=[unit_id])
    ticket = api.post(
        "/api/v1/tickets",
        json={"subject": "A rather long subject line for a small screen", "unit_id": unit_id},
        headers=bearer(admin_token),
    ).json()
    async with second_page(browser) as phone:
        await phone.set_viewport_size({"width": 375, "height": 740})
        await sign_in(phone, stack, member["login"], PASSWORD)
        await expect(phone.get_by_role("heading", name="Hello, Pavel Phone")).to_be_visible()
        for route, ready in [
            ("#/", "#dashboard-inbox"),
            ("#/tickets?box=inbox", "#ticket-list"),
            (f"#/tickets/{ticket['id']}", "#comments"),
            ("#/tickets/new", "form.new-ticket"),
            ("#/profile", "section.card"),
        ]:
            await phone.goto(f"{stack.gateway_url}/{route}")
            await expect(phone.locator(ready).first).to_be_visible()
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (route, width, await phone.evaluate(WIDEST))


async def test_custom_fields_are_filled_by_kind_and_a_client_gets_only_the_ones_shown_to_clients(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Fields")
    member = new_user(api, admin_token, "Mark Fields", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Clara Fields", kind="client")
    tag = f"Asset tag {secrets.token_hex(2)}"
    floor = f"Floor {secrets.token_hex(2)}"
    created = [
        api.post(
            "/api/v1/custom-fields",
            json={"name": tag, "kind": "text", "client_visible": True},
            headers=bearer(admin_token),
        ),
        api.post(
            "/api/v1/custom-fields",
            json={"name": floor, "kind": "select", "options": ["First", "Second"]},
            headers=bearer(admin_token),
        ),
    ]
    assert all(r.status_code == 201 for r in created), [r.text for r in created]
    try:
        await sign_in(page, stack, member["login"], PASSWORD)
        await expect(page.get_by_role("heading", name="Hello, Mark Fields")).to_be_visible()
        await page.get_by_role("link", name="New ticket", exact=True).click()
        await page.get_by_label("Unit").select_option(str(unit_id))
        await page.get_by_label("Subject").fill("Monitor flickers")
        await page.get_by_label(tag).fill("INV-0042")
        await page.get_by_label(floor).select_option("Second")
        await page.get_by_role("button", name="Create ticket").click()
        await expect(page.get_by_role("heading", name="Monitor flickers")).to_be_visible()
        fields = page.locator("dl.fields")
        await expect(fields).to_contain_text(f"{tag}INV-0042")
        await expect(fields).to_contain_text(f"{floor}Second")

        async with second_page(browser) as other:
            await sign_in(other, stack, client["login"], PASSWORD)
            await expect(other.get_by_role("heading", name="Hello, Clara Fields")).to_be_visible()
            await other.get_by_role("link", name="New ticket", exact=True).click()
            await expect(other.get_by_label(tag)).to_be_visible()
            await expect(other.get_by_label(floor)).to_have_count(0)
    finally:
        for r in created:
            api.delete(f"/api/v1/custom-fields/{r.json()['id']}", headers=bearer(admin_token))


async def test_a_member_forwards_a_ticket_to_a_person_of_another_unit_and_lands_on_his_inbox(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    first = new_unit(api, admin_token, "First line")
    second = new_unit(api, admin_token, "Second line")
    member = new_user(api, admin_token, "Felix Forward", unit_ids=[first])
    expert = new_user(api, admin_token, "Erin Expert", unit_ids=[second])
    second_name = api.get(f"/api/v1/units/{second}", headers=bearer(admin_token)).json()["name"]
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Database is slow", "unit_id": first}, headers=bearer(admin_token)
    ).json()

    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Felix Forward")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    await page.get_by_role("button", name="Forward").click()
    dialog = page.get_by_role("dialog", name="Forward")
    await dialog.get_by_label("Unit").select_option(label=second_name)
    await dialog.get_by_label("Erin Expert").check()
    await dialog.get_by_role("textbox", name="Note").fill("Needs a DBA")
    await dialog.get_by_role("button", name="Save").click()

    await expect(page.get_by_role("status").filter(has_text="The ticket is forwarded.")).to_be_visible()
    await expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    after = api.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(admin_token)).json()
    assert (after["unit_id"], after["assignee_ids"]) == (second, [expert["id"]])


async def test_staff_open_a_colleagues_card_and_his_units_members(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Cards")
    unit_name = api.get(f"/api/v1/units/{unit_id}", headers=bearer(admin_token)).json()["name"]
    viewer = new_user(api, admin_token, "Vera Viewer", unit_ids=[unit_id])
    colleague = new_user(
        api, admin_token, "Colin Colleague", unit_ids=[unit_id], email="colin@example.com", phone="+7 900 000"
    )
    await sign_in(page, stack, viewer["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Vera Viewer")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/users/{colleague['id']}")
    await expect(page.get_by_role("heading", name="Colin Colleague")).to_be_visible()
    await expect(page.get_by_role("link", name="colin@example.com")).to_be_visible()
    await page.get_by_role("link", name=unit_name).click()
    await expect(page.get_by_role("heading", name=unit_name)).to_be_visible()
    await expect(page.get_by_role("link", name="Vera Viewer")).to_be_visible()
    await expect(page.get_by_role("link", name="Colin Colleague")).to_be_visible()


async def test_the_profile_switches_language_at_once_and_shows_a_new_token_only_once(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    user = new_user(api, admin_token, "Lena Lang", unit_ids=[new_unit(api, admin_token, "Lang")])
    await sign_in(page, stack, user["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Lena Lang")).to_be_visible()
    await page.get_by_role("link", name="Profile", exact=True).click()

    await page.get_by_label("Name", exact=True).fill("CI robot")
    await page.get_by_role("button", name="Create token").click()
    secret = page.locator(".status code.secret")
    await expect(secret).not_to_be_empty()
    token = await secret.text_content()
    assert token and api.get("/api/v1/me", headers=bearer(token)).json()["login"] == user["login"]
    await expect(page.locator("ul.tokens")).to_contain_text("CI robot")
    await expect(page.locator("ul.tokens")).not_to_contain_text(token)

    await page.get_by_label("Language").select_option("ru")
    await page.get_by_role("button", name="Save").first.click()
    await expect(page.get_by_role("heading", name="Профиль", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name="Главная")).to_be_visible()
    assert api.get(f"/api/v1/users/{user['id']}", headers=bearer(admin_token)).json()["language"] == "ru"


async def test_a_visitor_is_told_that_self_registration_is_off_and_a_bad_confirmation_link_fails(
    page: Page, stack: Stack
) -> None:
    await page.goto(stack.gateway_url + "/")
    await page.get_by_role("link", name="Register as a client").click()
    await page.get_by_label("Full name").fill("Vic Visitor")
    await page.get_by_label("E-mail").fill(f"vic-{secrets.token_hex(3)}@example.com")
    await page.get_by_label("Password").fill("visitor-password")
    await page.get_by_role("button", name="Register").click()
    # devstack runs with registration off (identity's default).
    await expect(
        page.get_by_role("status").filter(has_text="Self-registration is switched off.")
    ).to_be_visible()

    await page.goto(f"{stack.gateway_url}/#/auth/confirm?token=not-a-real-token")
    await expect(page.get_by_role("heading", name="Account confirmation")).to_be_visible()
    await expect(page.get_by_role("alert")).not_to_be_empty()
    assert "not-a-real-token" not in page.url


async def test_an_admin_deletes_a_ticket_after_confirming_and_a_member_is_not_offered_it(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Deletes")
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Spam ticket", "unit_id": unit_id}, headers=bearer(admin_token)
    ).json()
    member = new_user(api, admin_token, "Nina Nodelete", unit_ids=[unit_id])
    member_token = api.post(
        "/api/v1/auth/login", json={"login": member["login"], "password": PASSWORD}
    ).json()["access_token"]
    assert (
        "delete"
        not in api.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(member_token)).json()[
            "allowed_actions"
        ]
    )

    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket['id']}")
    messages: list[str] = []

    async def answer(d: Dialog) -> None:
        messages.append(d.message)
        await (d.dismiss() if len(messages) == 1 else d.accept())

    page.on("dialog", answer)
    await page.get_by_role("button", name="Delete").click()  # dismissed: nothing happens
    await expect(page.get_by_role("heading", name="Spam ticket")).to_be_visible()
    assert api.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(admin_token)).status_code == 200
    await page.get_by_role("button", name="Delete").click()  # confirmed
    await expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    assert messages[0] == f"Delete ticket #{ticket['number']} with its comments and files?"
    assert api.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(admin_token)).status_code == 404


async def test_the_ticket_link_in_a_mail_opens_the_ticket_for_a_signed_in_user(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, f"Mail links {secrets.token_hex(3)}")
    ticket = api.post(
        "/api/v1/tickets",
        json={"subject": "Opened from a mail", "unit_id": unit_id},
        headers=bearer(admin_token),
    ).json()
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    # notify's mails link to <public_url>/tickets/<id>
    await page.goto(f"{stack.gateway_url}/tickets/{ticket['id']}")
    heading = page.get_by_role("heading", name=f"#{ticket['number']} Opened from a mail")
    await expect(heading).to_be_visible()
    assert api.get("/tickets/not-a-number").status_code == 404


async def test_a_page_left_while_it_loads_draws_nothing_over_the_next_one(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, f"Slow {secrets.token_hex(3)}")
    client = new_user(api, admin_token, "Cleo Client", kind="client")
    await sign_in(page, stack, client["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Cleo Client")).to_be_visible()
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Not hers", "unit_id": unit_id}, headers=bearer(admin_token)
    )
    ticket_url = f"/api/v1/tickets/{ticket.json()['id']}"
    answered = asyncio.Event()

    async def slow(route: Any) -> None:  # the server's 404 arrives after she has moved on
        await asyncio.sleep(1.5)
        await route.continue_()
        answered.set()

    await page.route(f"**{ticket_url}", slow)
    await page.goto(f"{stack.gateway_url}/#/tickets/{ticket.json()['id']}")
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox")
    await expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    await asyncio.wait_for(answered.wait(), timeout=10)
    await asyncio.sleep(0.5)
    await expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    await expect(page.get_by_text("There is no such page or ticket, or you may not see it.")).to_have_count(0)
