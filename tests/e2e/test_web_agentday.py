"""The defects found trying the pages as a new user would (issue 20), each in a real
browser: custom fields in the edit dialog, the work clock of an untaken ticket, history
in words, server errors in the user's language, the new-ticket form's checks, the
description in Markdown, long words in tables, search by number, presence by name, what a
client may edit."""

from __future__ import annotations

import secrets
import shutil
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import SCREENSHOTS, bearer, login
from .conftest import sign_in as sign_in_form
from .test_web_agent import LIVE, PASSWORD, new_unit, new_user, second_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


async def sign_in(page: Page, stack: Stack, user: str, password: str) -> None:
    """Signs in and waits for the dashboard, so that a page opened next is opened signed in."""
    await sign_in_form(page, stack, user, password)
    await expect(page.locator("#dashboard-inbox")).to_be_attached()


def ticket(api: httpx.Client, token: str, **body: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/tickets", json={"subject": "Help", **body}, headers=bearer(token))
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


async def open_ticket(page: Page, stack: Stack, t: dict[str, Any]) -> None:
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    await expect(page.locator("#ticket-head h1")).to_contain_text(f"#{t['number']}")


async def test_the_edit_dialog_shows_custom_fields_as_fields_and_saves_a_change(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    field = api.post(
        "/api/v1/custom-fields",
        json={"name": f"Room {secrets.token_hex(2)}", "kind": "text", "client_visible": True},
        headers=bearer(admin_token),
    ).json()
    unit_id = new_unit(api, admin_token, "Edit fields")
    head = new_user(api, admin_token, "Edda Head", unit_ids=[unit_id], role="unit_head")
    t = ticket(api, admin_token, unit_id=unit_id, custom_fields={str(field["id"]): "204"})
    await sign_in(page, stack, head["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Edda Head")).to_be_visible()
    await open_ticket(page, stack, t)
    await page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit")
    await expect(dialog).not_to_contain_text("[object")
    await expect(dialog.get_by_label(field["name"])).to_have_value("204")
    await dialog.get_by_label(field["name"]).fill("305")
    await dialog.get_by_role("button", name="Save").click()
    await expect(page.locator("#ticket-head dl")).to_contain_text("305")


async def test_an_untaken_ticket_with_a_plan_shows_its_work_clock_not_started_never_met(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    auth = bearer(admin_token)
    unit_id = new_unit(api, admin_token, "Clocks")
    plan = api.post(
        "/api/v1/sla-plans",
        json={
            "name": f"Clocks {secrets.token_hex(2)}",
            "limits": {"normal": {"reaction": 3600, "work": 7200}},
        },
        headers=auth,
    ).json()
    subject = api.post(
        "/api/v1/subjects",
        json={"name": f"Clocked {secrets.token_hex(2)}", "sla_plan_id": plan["id"]},
        headers=auth,
    ).json()
    t = ticket(api, admin_token, unit_id=unit_id, subject_id=subject["id"])
    await sign_in(page, stack, "system", _admin_password())
    await open_ticket(page, stack, t)
    work = page.locator('.clock[data-kind="work"]')
    await expect(work.locator(".clock-state")).to_have_text("Not started", timeout=LIVE)
    await expect(work).not_to_contain_text("Met")
    await expect(work).not_to_contain_text("took")
    await expect(work.locator(".clock-left")).to_contain_text("02:00:00")


def _admin_password() -> str:
    from .conftest import ADMIN_PASSWORD

    return ADMIN_PASSWORD


async def test_a_comment_with_a_file_is_one_history_entry_in_words_in_english_and_russian(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "History")
    member = new_user(api, admin_token, "Hedy History", unit_ids=[unit_id])
    t = ticket(api, admin_token, unit_id=unit_id)
    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Hedy History")).to_be_visible()
    await open_ticket(page, stack, t)
    await page.get_by_label("Comment", exact=True).fill("Screenshot attached")
    await page.get_by_label("Attach files").set_input_files(
        FilePayload(name="screen.png", mimeType="image/png", buffer=PNG)
    )
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#comments")).to_contain_text("Screenshot attached")
    history = page.locator("#history li")
    await expect(history).to_have_count(2)
    await expect(history.nth(1)).to_contain_text("commented with 1 file(s): screen.png")
    await expect(page.locator("#history")).not_to_contain_text("field.")
    await expect(page.locator("#history")).not_to_contain_text("comment_id")
    ru = new_user(api, admin_token, "Гера История", unit_ids=[unit_id], language="ru")
    async with second_page(browser) as other:
        await sign_in(other, stack, ru["login"], PASSWORD)
        await expect(other.get_by_role("heading", name="Здравствуйте, Гера История")).to_be_visible()
        await open_ticket(other, stack, t)
        await expect(other.locator("#history li").nth(1)).to_contain_text("с файлами (1): screen.png")  # noqa: RUF001
        await expect(other.locator("#history")).not_to_contain_text("field.")


async def test_a_russian_user_reads_a_refused_file_and_an_old_pop_up_in_russian(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Язык")
    member = new_user(api, admin_token, "Vera Language", unit_ids=[unit_id])  # English at first
    t = ticket(api, admin_token, unit_id=unit_id)
    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Vera Language")).to_be_visible()
    # A pop-up made while she reads English (a ticket sent to her unit).
    ticket(api, admin_token, unit_id=unit_id, subject="Printer jam")
    await expect(page.locator("#notifications")).to_contain_text("new", timeout=LIVE)
    mt = login(api, member["login"], PASSWORD)
    assert api.patch("/api/v1/me", json={"language": "ru"}, headers=bearer(mt)).status_code == 200
    await page.reload()
    await expect(page.get_by_role("heading", name="Здравствуйте, Vera Language")).to_be_visible()
    await expect(page.locator("#notifications")).to_contain_text("новая")
    await expect(page.locator("#notifications")).not_to_contain_text("— new")
    # A text file named .png passes the checks made before the upload; the server refuses it.
    await open_ticket(page, stack, t)
    await page.get_by_label("Комментарий", exact=True).fill("Файл")
    await page.get_by_label("Приложить файлы").set_input_files(
        FilePayload(name="fake.png", mimeType="image/png", buffer=b"just some text, not an image")
    )
    await page.get_by_role("button", name="Отправить").click()
    error = page.locator(".comment-form .error")
    await expect(error).to_contain_text("Файл не принят")
    await expect(error).to_contain_text("не соответствует")
    await expect(error).not_to_contain_text("refused")


async def test_the_new_ticket_form_asks_for_the_unit_and_checks_subject_and_files_at_their_fields(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Form")
    client = new_user(api, admin_token, "Fred Form", kind="client")
    await sign_in(page, stack, client["login"], PASSWORD)
    await page.get_by_role("link", name="New ticket", exact=True).click()
    await expect(page.get_by_label("Unit")).to_have_value("")  # nothing chosen for him
    await expect(page.locator(".file-hint")).to_contain_text("Up to 10 MB each")
    await expect(page.locator(".file-hint")).to_contain_text(".pdf")
    await page.get_by_label("Unit").select_option(str(unit_id))
    await page.get_by_label("Subject").fill("    ")
    await page.get_by_role("button", name="Create ticket").click()
    subject_valid = await page.get_by_label("Subject").evaluate("el => el.validity.valid")
    assert subject_valid is False  # told at the field, and nothing was sent
    await expect(page.locator("form.new-ticket > .error")).to_be_empty()
    await page.get_by_label("Subject").fill("Broken chair")
    await page.get_by_label("Attach files").set_input_files(
        FilePayload(name="big.png", mimeType="image/png", buffer=b"\x89PNG" + bytes(11 * 1024 * 1024))
    )
    await page.get_by_role("button", name="Create ticket").click()
    await expect(page.locator("form.new-ticket > .error")).to_contain_text("big.png: larger than 10 MB")
    await page.screenshot(path=str(SCREENSHOTS / "en-new-ticket-checks.png"), full_page=True)
    listed = api.get("/api/v1/tickets", headers=bearer(login(api, client["login"], PASSWORD))).json()["items"]
    assert listed == []  # neither attempt filed a ticket


async def test_the_description_is_rendered_as_markdown_like_the_comments(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Markdown")
    t = ticket(
        api, admin_token, unit_id=unit_id, body="Steps:\n\n1. **Unplug** it\n2. Wait <script>x</script>"
    )
    await sign_in(page, stack, "system", _admin_password())
    await open_ticket(page, stack, t)
    body = page.locator("#ticket-body")
    await expect(body.locator("strong")).to_have_text("Unplug")
    await expect(body.locator("ol li")).to_have_count(2)
    await expect(body).not_to_contain_text("**")
    assert await page.locator("#ticket-body script").count() == 0


@pytest.mark.parametrize("width", [375, 1100])
async def test_long_words_wrap_inside_their_cells_instead_of_pushing_columns_off_screen(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str, width: int
) -> None:
    long = "X" * 120
    unit_id = new_unit(api, admin_token, f"Unit{long}")
    # One grapheme (a letter and 30 spacing vowel signs, wider than a phone's column) that no
    # rule may break: a narrow screen shows it inside its own cell, not by widening the table.
    new_unit(api, admin_token, "\u0915" + "\u093e" * 30)
    ticket(api, admin_token, unit_id=unit_id, subject=f"Subject{long}")
    api.post(
        "/api/v1/sla-plans", json={"name": f"Plan{long}"[:190], "limits": {}}, headers=bearer(admin_token)
    )
    context = await browser.new_context(viewport={"width": width, "height": 800})
    page = await context.new_page()
    try:
        await sign_in(page, stack, "system", _admin_password())
        for route in ("#/", "#/tickets?box=inbox", "#/admin/units", "#/admin/sla"):
            # The previous view's tables go first: the check must measure this route's own,
            # not the last page's still on screen while this one loads.
            await page.evaluate("() => document.querySelectorAll('table').forEach((t) => t.remove())")
            await page.goto(f"{stack.gateway_url}/{route}")
            await expect(page.locator("table").first).to_be_visible()
            # no table sticks out of its box (nor the page out of the window)
            overflow = await page.evaluate(
                "() => [...document.querySelectorAll('table')]"
                ".map(t => [t.scrollWidth - t.parentElement.clientWidth, t.className])"
            )
            assert max((o for o, _ in overflow), default=0) <= 1, (route, overflow)
            assert await page.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1"), route
    finally:
        await context.close()


async def test_the_top_search_opens_a_ticket_by_number_and_the_list_finds_it_by_number(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Search")
    member = new_user(api, admin_token, "Sam Search", unit_ids=[unit_id])
    t = ticket(api, admin_token, unit_id=unit_id, subject="Find me by number")
    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Sam Search")).to_be_visible()
    await page.get_by_role("link", name="Inbox", exact=True).click()
    await page.get_by_label("Search", exact=True).fill(f"#{t['number']}")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#ticket-list tr").filter(has_text="Find me by number")).to_be_visible()
    await page.keyboard.press("/")
    top = page.get_by_role("searchbox", name="Search tickets or go to #number")
    await expect(top).to_be_focused()
    # Filled at once: keys typed one by one on a loaded machine could reach the page
    # while the shortcut was still moving the focus.
    await top.fill(str(t["number"]))
    await top.press("Enter")
    await expect(page.get_by_role("heading", name=f"#{t['number']} Find me by number")).to_be_visible()


async def test_presence_names_the_other_viewer_by_full_name_never_by_login(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Presence names")
    member = new_user(api, admin_token, "Paula Presence", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Peter Client", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Who is here")
    seen: list[str] = []
    await sign_in(page, stack, client["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Peter Client")).to_be_visible()
    await open_ticket(page, stack, t)

    def note(text: str) -> None:
        seen.append(text)

    await page.expose_function("note", note)
    await page.evaluate(
        "() => new MutationObserver(() => { const p = document.getElementById('presence');"
        " if (p && p.textContent) window.note(p.textContent); })"
        ".observe(document.getElementById('presence'), {childList: true, characterData: true, subtree: true})"
    )
    async with second_page(browser) as other:
        await sign_in(other, stack, member["login"], PASSWORD)
        await expect(other.get_by_role("heading", name="Hello, Paula Presence")).to_be_visible()
        await open_ticket(other, stack, t)
        await expect(page.locator("#presence")).to_have_text("Paula Presence is viewing", timeout=LIVE)
    assert seen and all(member["login"] not in text for text in seen), seen


async def test_a_client_edits_his_description_but_neither_priority_nor_deadline_and_not_once_done(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Client edit")
    member = new_user(api, admin_token, "Ed Member", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Ella Client", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Desk lamp")
    await sign_in(page, stack, client["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Ella Client")).to_be_visible()
    await open_ticket(page, stack, t)
    await page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit")
    await expect(dialog.get_by_label("Priority")).to_have_count(0)
    await expect(dialog.get_by_label("Deadline")).to_have_count(0)
    await dialog.get_by_label("Description").fill("It flickers.")
    await dialog.get_by_role("button", name="Save").click()
    await expect(page.locator("#ticket-body")).to_contain_text("It flickers.")
    mt = login(api, member["login"], PASSWORD)
    for step in ("lock", "complete"):
        assert api.post(f"/api/v1/tickets/{t['id']}/{step}", headers=bearer(mt)).status_code == 200
    await expect(page.locator(".state")).to_have_text("Done", timeout=LIVE)
    await expect(page.get_by_role("button", name="Edit")).to_have_count(0)
