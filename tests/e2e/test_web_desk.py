"""What agents coming from Zammad or osTicket expect, in a real browser: internal notes,
canned responses, list totals, bulk actions, saved views, keyboard shortcuts, a client
reopening by commenting, reports with charts and CSV, the print view and avatars — with
the screenshots (English and Russian) in docs/screenshots/."""

from __future__ import annotations

import secrets
import shutil
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, login
from .conftest import sign_in as sign_in_form
from .test_web_agent import LIVE, PASSWORD, new_unit, new_user, second_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


async def sign_in(page: Page, stack: Stack, user: str, password: str) -> None:
    """Signs in and waits for the dashboard, so that a page opened next is opened signed in."""
    await sign_in_form(page, stack, user, password)
    await expect(page.locator("#dashboard-inbox")).to_be_attached()


def ticket(api: httpx.Client, token: str, **body: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/tickets", json={"subject": "Help", **body}, headers=bearer(token))
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


async def test_an_internal_note_is_marked_for_staff_and_never_reaches_the_clients_page(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Internal")
    member = new_user(api, admin_token, "Ines Internal", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Clara Client", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Laptop is slow")
    await sign_in(page, stack, client["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    await expect(page.get_by_role("heading", name=f"#{t['number']} Laptop is slow")).to_be_visible()
    async with second_page(browser) as agent:
        await sign_in(agent, stack, member["login"], PASSWORD)
        await agent.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
        await agent.get_by_label("Comment", exact=True).fill(
            "Probably the **old disk**; client must not know yet."
        )
        await agent.get_by_label("Internal note (staff only, never shown to the client)").check()
        await agent.get_by_role("button", name="Send").click()
        note = agent.locator("#comments .comment.internal")
        await expect(note).to_contain_text("old disk")
        await expect(note.locator(".internal-badge")).to_have_text("Internal note")
        await agent.get_by_label("Comment", exact=True).fill("We are looking at it.")
        await agent.get_by_role("button", name="Send").click()
        await expect(page.locator("#comments")).to_contain_text("We are looking at it.", timeout=LIVE)
        await expect(page.locator("#comments")).not_to_contain_text("old disk")
        await expect(page.locator("#history")).not_to_contain_text("internal")
        await agent.screenshot(path=str(SCREENSHOTS / "en-internal-note.png"), full_page=True)


async def test_a_canned_response_is_inserted_with_the_clients_name_and_the_ticket_number(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Canned")
    member = new_user(api, admin_token, "Cora Canned", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Otto Customer", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Password expired")
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/canned")
    await page.get_by_label("Title").fill("Greeting")
    await page.get_by_label("Text").fill("Hello {client_name}, about {ticket_number}: done.")
    await page.get_by_role("button", name="Save canned response").click()
    await expect(page.locator("#canned-list")).to_contain_text("Greeting")
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    await page.locator("#canned-pick").select_option(label="Greeting")
    await expect(page.get_by_label("Comment", exact=True)).to_have_value(
        f"Hello Otto Customer, about #{t['number']}: done."
    )


async def test_a_list_shows_its_total_and_a_bulk_take_reports_what_was_refused(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Bulk")
    member = new_user(api, admin_token, "Bea Bulk", unit_ids=[unit_id])
    other = new_user(api, admin_token, "Olaf Other", unit_ids=[unit_id])
    tag = secrets.token_hex(3)
    free = [ticket(api, admin_token, unit_id=unit_id, subject=f"Bulk {tag} {i}") for i in range(3)]
    ot = login(api, other["login"], PASSWORD)
    assert api.post(f"/api/v1/tickets/{free[0]['id']}/lock", headers=bearer(ot)).status_code == 200
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox&q={tag}")
    await expect(page.locator("#list-count")).to_have_text("3 of 3")
    await page.locator("input.pick-all").check()
    await expect(page.locator("#bulk-count")).to_have_text("3 selected")
    await page.get_by_label("Action on the selected tickets").select_option("lock")
    await page.get_by_role("button", name="Run on the selected").click()
    summary = page.locator("#bulk-summary")
    await expect(summary).to_contain_text("Done for 2 of 3.")
    await expect(summary).to_contain_text(f"#{free[0]['id']}: not possible in its state")
    await page.screenshot(path=str(SCREENSHOTS / "en-bulk.png"), full_page=True)


async def test_a_saved_view_keeps_the_filters_and_opens_them_again(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Views")
    member = new_user(api, admin_token, "Vic Views", unit_ids=[unit_id])
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox&priority=high&sort=-updated_at")
    await expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()

    async def name_it(dialog: Dialog) -> None:
        await dialog.accept("Urgent first")

    page.once("dialog", name_it)
    await page.get_by_role("button", name="Save this view").click()
    await expect(page.locator("#saved-view option", has_text="Urgent first")).to_have_count(1)
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox")
    await page.locator("#saved-view").select_option(label="Urgent first")
    filters = page.get_by_role("search", name="Filters")
    await expect(filters.get_by_role("combobox", name="Priority", exact=True)).to_have_value("high")
    await expect(filters.get_by_role("combobox", name="Sort", exact=True)).to_have_value("-updated_at")


async def test_keyboard_moves_through_the_inbox_opens_a_ticket_and_goes_to_the_comment_box(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Keys")
    member = new_user(api, admin_token, "Kai Keys", unit_ids=[unit_id])
    first = ticket(api, admin_token, unit_id=unit_id, subject="Older key ticket")
    ticket(api, admin_token, unit_id=unit_id, subject="Newer key ticket")
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.get_by_role("link", name="Inbox", exact=True).click()
    await expect(page.locator("#ticket-list tbody tr")).to_have_count(2)
    await page.locator("main").click(position={"x": 5, "y": 5})
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text(
        "next ticket in a list"
    )
    await page.keyboard.press("Escape")
    for key in ("j", "j", "c"):
        await page.keyboard.press(key)
    await expect(page.get_by_role("heading", name=f"#{first['number']} Older key ticket")).to_be_visible()
    await expect(page.get_by_label("Comment", exact=True)).to_be_focused()


async def test_a_client_reopens_his_done_ticket_by_commenting_and_reads_a_plain_status_line(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Reopen")
    member = new_user(api, admin_token, "Remy Member", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Rosa Client", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Mouse is dead")
    mt = login(api, member["login"], PASSWORD)
    await sign_in(page, stack, client["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    await expect(page.locator("#status-line")).to_have_text("Your request is waiting to be taken into work.")
    for step in ("lock", "complete"):
        assert api.post(f"/api/v1/tickets/{t['id']}/{step}", headers=bearer(mt)).status_code == 200
    await expect(page.locator("#status-line")).to_contain_text("Write a comment within 7 days", timeout=LIVE)
    await page.get_by_label("Comment", exact=True).fill("The new one is dead too.")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator(".state")).to_have_text("In work", timeout=LIVE)
    await expect(page.locator("#status-line")).to_have_text("Remy Member is working on your request.")
    await expect(page.locator("#ticket-actions button", has_text="Priority")).to_have_count(0)


async def _reports(page: Page, stack: Stack, api: httpx.Client, admin_token: str, lang: str) -> None:
    ru = lang == "ru"
    unit_id = new_unit(api, admin_token, "Отчёты" if ru else "Reports")
    head = new_user(
        api,
        admin_token,
        "Рита Руководитель" if ru else "Rita Head",
        unit_ids=[unit_id],
        role="unit_head",
        language=lang,
    )
    member = new_user(api, admin_token, "Максим Исполнитель" if ru else "Max Member", unit_ids=[unit_id])
    mt = login(api, member["login"], PASSWORD)
    plan = api.post(
        "/api/v1/sla-plans",
        json={
            "name": f"Reports {secrets.token_hex(2)}",
            "limits": {"normal": {"reaction": 3600, "work": 7200}},
        },
        headers=bearer(admin_token),
    ).json()
    vpn = api.post(
        "/api/v1/subjects",
        json={"name": f"VPN {secrets.token_hex(2)}", "sla_plan_id": plan["id"]},
        headers=bearer(admin_token),
    ).json()
    for i in range(6):
        chosen = {"subject": "Принтер" if ru else "Printer"} if i % 2 else {"subject_id": vpn["id"]}
        t = ticket(api, admin_token, unit_id=unit_id, **chosen)
        if i < 4:
            for step in ("lock", "complete"):
                api.post(f"/api/v1/tickets/{t['id']}/{step}", headers=bearer(mt))
    await sign_in(page, stack, head["login"], PASSWORD)
    await page.get_by_role("link", name="Отчёты" if ru else "Reports", exact=True).click()
    await expect(page.locator("#report-per-day canvas")).to_be_visible()
    await expect(page.locator("#report-people")).to_contain_text(member["full_name"])
    await expect(page.locator("#report-subjects")).to_contain_text(vpn["name"])
    # The SLA part arrives after the ticket figures: its charts replace the waiting line.
    await expect(page.locator("#report-sla canvas")).to_be_visible()
    await expect(page.locator("#report-medians canvas")).to_be_visible()
    drawn = await page.evaluate(
        "() => [...document.querySelectorAll('#reports canvas')].every(c => c.width > 0)"
    )
    assert drawn
    async with page.expect_download() as got:
        await page.locator('[data-csv="people"]').click()
    download = await got.value
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert f"{member['full_name']},4" in text
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-reports.png"), full_page=True)


async def test_reports_draw_charts_from_the_vendored_library_and_export_csv_in_english(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _reports(page, stack, api, admin_token, "en")


async def test_reports_in_russian(page: Page, stack: Stack, api: httpx.Client, admin_token: str) -> None:
    await _reports(page, stack, api, admin_token, "ru")


async def test_a_member_is_not_offered_reports_and_the_api_refuses_him(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "No reports")
    member = new_user(api, admin_token, "Nils Member", unit_ids=[unit_id])
    await sign_in(page, stack, member["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Nils Member")).to_be_visible()
    await expect(page.get_by_role("link", name="Reports", exact=True)).to_be_hidden()
    resp = api.get(
        "/api/v1/reports/tickets",
        params={"from": "2026-01-01T00:00:00Z", "to": "2026-01-31T00:00:00Z"},
        headers=bearer(login(api, member["login"], PASSWORD)),
    )
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


async def _print_and_avatars(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str, lang: str
) -> None:
    ru = lang == "ru"
    unit_id = new_unit(api, admin_token, "Печать" if ru else "Print")
    member = new_user(
        api, admin_token, "Анна Печатникова" if ru else "Anna Printer", unit_ids=[unit_id], language=lang
    )
    t = ticket(
        api,
        admin_token,
        unit_id=unit_id,
        subject="Заявка для печати" if ru else "A ticket to print",
        body="**Сервер** не отвечает" if ru else "The **server** does not answer",
    )
    mt = login(api, member["login"], PASSWORD)
    api.post(
        f"/api/v1/tickets/{t['id']}/comments",
        json={"body": "Смотрю." if ru else "Looking."},
        headers=bearer(mt),
    )
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    avatar = page.locator("#comments .avatar").first
    await expect(avatar).to_have_text("АП" if ru else "AP")
    await page.emulate_media(media="print")
    await expect(page.locator("header.bar")).to_be_hidden()
    await expect(page.locator(".comment-form")).to_be_hidden()
    await expect(page.locator("#ticket-body strong")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / f"{lang}-print.png"), full_page=True)
    await page.emulate_media(media="screen")
    await expect(page.locator("header.bar")).to_be_visible()


async def test_the_print_view_shows_the_ticket_alone_and_comments_carry_initials_in_english(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _print_and_avatars(page, stack, api, admin_token, "en")


async def test_the_print_view_in_russian(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _print_and_avatars(page, stack, api, admin_token, "ru")


async def test_a_russian_agent_sees_the_desk_in_russian_with_internal_note_and_canned_picker(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Поддержка")
    member = new_user(api, admin_token, "Олег Агентов", unit_ids=[unit_id], language="ru")
    client = new_user(api, admin_token, "Ольга Клиентова", kind="client")
    t = ticket(api, login(api, client["login"], PASSWORD), unit_id=unit_id, subject="Не печатает принтер")  # noqa: RUF001
    mt = login(api, member["login"], PASSWORD)
    api.post(
        "/api/v1/canned-responses",
        json={"title": "Приветствие", "body": "Здравствуйте, {client_name}!"},
        headers=bearer(mt),
    )
    api.post(
        f"/api/v1/tickets/{t['id']}/comments",
        json={"body": "Картридж пуст, заказал.", "internal": True},
        headers=bearer(mt),
    )
    await sign_in(page, stack, member["login"], PASSWORD)
    await page.goto(f"{stack.gateway_url}/#/tickets/{t['id']}")
    await expect(page.locator(".internal-badge")).to_have_text("Внутренняя заметка")
    await page.locator("#canned-pick").select_option(label="Приветствие")
    await expect(page.get_by_label("Комментарий", exact=True)).to_have_value("Здравствуйте, Ольга Клиентова!")
    await page.screenshot(path=str(SCREENSHOTS / "ru-internal-note.png"), full_page=True)
    await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox")
    await expect(page.locator("#list-count")).to_contain_text("из")
    await page.screenshot(path=str(SCREENSHOTS / "ru-bulk.png"), full_page=True)


async def test_a_members_unit_filter_offers_his_units_and_a_phone_folds_the_filters(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    mine = new_unit(api, admin_token, "Mine")
    theirs = new_unit(api, admin_token, "Theirs")
    member = new_user(api, admin_token, "Phil Phone", unit_ids=[mine])
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await context.new_page()
    try:
        await sign_in(page, stack, member["login"], PASSWORD)
        await page.goto(f"{stack.gateway_url}/#/tickets?box=inbox")
        fold = page.locator("details.filters-fold")
        await expect(fold).not_to_have_attribute("open", "")
        box = await page.locator("#ticket-list").bounding_box()
        assert box is not None and box["y"] < 740  # the list starts on the first screen
        await fold.locator("summary").click()
        units = await page.get_by_label("Unit").locator("option").all_inner_texts()
        assert any(u.startswith("Mine") for u in units) and not any(u.startswith("Theirs") for u in units)
        assert theirs
    finally:
        await context.close()


async def test_an_admin_is_told_the_user_he_created_was_created(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/admin/users/new")
    await expect(page.get_by_role("heading", name="New user")).to_be_visible()
    login_name = f"new{secrets.token_hex(3)}"
    await page.get_by_label("Login", exact=True).fill(login_name)
    await page.get_by_label("Full name").fill("Nora New")
    await page.get_by_label("Password").fill("a-long-password")
    await page.get_by_role("button", name="Create user").click()
    await expect(page.locator(".notice")).to_have_text(f"User {login_name} created.")
