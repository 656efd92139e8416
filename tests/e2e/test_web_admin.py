"""The admin area of the web interface in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, login, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]

SERVICES = ("gateway", "identity", "notify", "sla", "tickets", "mailin", "portal", "realtime")


def _staff(
    api: httpx.Client, admin_token: str, *, language: str = "en", is_admin: bool = False
) -> tuple[str, str]:
    login_name = f"w2{secrets.token_hex(4)}"
    password = "admin-area-" + secrets.token_hex(4)
    resp = api.post(
        "/api/v1/users",
        json={
            "login": login_name,
            "password": password,
            "full_name": "Мария Админова" if language == "ru" else "Mary Staff",
            "kind": "staff",
            "role": "unit_member",
            "language": language,
            "is_admin": is_admin,
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    return login_name, password


async def test_an_admin_creates_a_unit_a_user_in_it_and_an_sla_plan_in_the_browser(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.get_by_role("link", name="Admin", exact=True).click()

    # a unit
    unit = f"Admin unit {secrets.token_hex(3)}"
    await page.get_by_label("Unit name").fill(unit)
    await page.get_by_role("button", name="Create unit").click()
    await expect(page.get_by_role("status").filter(has_text=unit)).to_be_visible()
    await expect(page.get_by_role("cell", name=unit, exact=True)).to_be_visible()

    # a user in that unit
    new_login = f"anna{secrets.token_hex(3)}"
    await page.get_by_role("link", name="Users", exact=True).click()
    await page.get_by_role("link", name="New user").click()
    await page.get_by_label("Login", exact=True).fill(new_login)
    await page.get_by_label("Password").fill("anna-password-1")
    await page.get_by_label("Full name").fill("Anna Karenina")
    await page.get_by_label("E-mail").fill(f"{new_login}@example.org")
    await page.get_by_label("Role").select_option(label="Unit head")
    await page.get_by_label(unit).check()
    await page.get_by_label("Language").select_option("en")
    await page.get_by_label("Time zone").fill("Europe/Moscow")
    await page.get_by_role("button", name="Create user").click()
    row = page.get_by_role("row").filter(has_text=new_login)
    await expect(row).to_contain_text("Anna Karenina")
    await expect(row).to_contain_text(unit)
    await expect(row).to_contain_text("Unit head")
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "en-admin-users.png"), full_page=True)

    token = login(api, new_login, "anna-password-1")  # the new user can sign in
    me = api.get("/api/v1/me", headers=bearer(token)).json()
    units = {u["name"]: u["id"] for u in api.get("/api/v1/units", headers=bearer(token)).json()["items"]}
    assert me["unit_ids"] == [units[unit]]
    assert me["role"] == "unit_head"
    assert me["time_zone"] == "Europe/Moscow"

    # an SLA plan, limits entered as d/h/m/s
    plan = f"Gold {secrets.token_hex(3)}"
    await page.get_by_role("link", name="SLA plans", exact=True).click()
    await page.get_by_label("Plan name").fill(plan)
    await page.get_by_label("Normal priority: Reaction, hours", exact=True).fill("1")
    await page.get_by_label("Normal priority: Reaction, minutes", exact=True).fill("30")
    await page.get_by_label("High priority: Deadline, days", exact=True).fill("1")
    await page.get_by_label("High priority: Deadline, hours", exact=True).fill("2")
    await page.get_by_label("High priority: Deadline, minutes", exact=True).fill("3")
    await page.get_by_label("High priority: Deadline, seconds", exact=True).fill("4")
    await page.get_by_label("Low priority: Work, seconds", exact=True).fill("45")
    await page.get_by_role("button", name="Create plan").click()
    await expect(page.get_by_role("status").filter(has_text=plan)).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=plan)).to_contain_text("Reaction 1h 30m")
    await page.screenshot(path=str(SCREENSHOTS / "en-admin-sla.png"), full_page=True)

    plans = api.get("/api/v1/sla-plans", headers=bearer(admin_token)).json()["items"]
    saved: dict[str, Any] = next(p for p in plans if p["name"] == plan)
    assert saved["limits"] == {
        "low": {"reaction": None, "work": 45, "deadline": None},
        "normal": {"reaction": 5400, "work": None, "deadline": None},
        "high": {"reaction": None, "work": None, "deadline": 93784},
    }


async def test_a_bad_value_shows_the_servers_reason_and_creates_nothing(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(stack.gateway_url + "/#/admin/calendars")
    name = f"Broken {secrets.token_hex(3)}"
    await page.get_by_label("Calendar name").fill(name)
    await page.get_by_label("Monday").fill("9-18")
    await page.get_by_role("button", name="Create calendar").click()
    await expect(page.locator("main").get_by_role("status")).to_contain_text("HH:MM")
    calendars = api.get("/api/v1/calendars", headers=bearer(admin_token)).json()["items"]
    assert name not in {c["name"] for c in calendars}


async def test_a_staff_member_who_is_not_an_admin_sees_not_found_and_the_system_api_refuses_him(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    user, password = _staff(api, admin_token)
    await sign_in(page, stack, user, password)
    await expect(page.get_by_role("heading", name="Hello, Mary Staff")).to_be_visible()
    await expect(page.get_by_role("link", name="Admin", exact=True)).to_be_hidden()
    for path in ("#/admin", "#/admin/users", "#/admin/system"):
        await page.goto(f"{stack.gateway_url}/{path}")
        await expect(
            page.get_by_text("There is no such page or ticket, or you may not see it.")
        ).to_be_visible()
        await expect(page.get_by_role("navigation", name="Admin sections")).to_have_count(0)

    token = login(api, user, password)
    resp = api.get("/api/v1/system", headers=bearer(token))
    assert resp.status_code == 403
    assert "services" not in resp.json()


async def test_the_system_page_shows_every_service_healthy_and_the_streams_with_their_consumers(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    info = api.get("/api/v1/system", headers=bearer(admin_token)).json()
    assert {s["name"]: s["status"] for s in info["services"]} == dict.fromkeys(SERVICES, "up")
    assert info["queues"]["status"] == "up"
    with_consumers = [s for s in info["queues"]["streams"] if s["consumers"]]
    assert with_consumers, info["queues"]
    stream = with_consumers[0]

    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.get_by_role("link", name="Admin", exact=True).click()
    await page.get_by_role("link", name="System", exact=True).click()
    await expect(page.get_by_role("heading", name="System information")).to_be_visible()
    services = page.get_by_role("table").filter(has_text="Service")
    for name in SERVICES:
        await expect(services.get_by_role("row").filter(has_text=name)).to_contain_text("Healthy")
    section = page.get_by_role("region", name=stream["name"], exact=True)
    await expect(section).to_contain_text(stream["consumers"][0]["name"])
    await expect(page.get_by_role("cell", name="helpdesk-gateway", exact=True)).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "en-admin-system.png"), full_page=True)


async def test_a_russian_speaking_admin_gets_the_admin_area_in_russian(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    user, password = _staff(api, admin_token, language="ru", is_admin=True)
    await sign_in(page, stack, user, password)
    await expect(page.get_by_role("heading", name="Здравствуйте, Мария Админова")).to_be_visible()
    await page.goto(stack.gateway_url + "/#/admin/users")
    await expect(page.get_by_role("heading", name="Пользователи")).to_be_visible()
    await expect(page.get_by_role("link", name="Новый пользователь")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "ru-admin-users.png"), full_page=True)

    await page.get_by_role("link", name="Планы SLA", exact=True).click()
    await expect(page.get_by_role("heading", name="Новый план")).to_be_visible()
    await expect(page.get_by_label("Приоритет «Высокий»: Срок, дни", exact=True)).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "ru-admin-sla.png"), full_page=True)

    await page.get_by_role("link", name="Система", exact=True).click()
    await expect(page.get_by_role("heading", name="Сведения о системе")).to_be_visible()  # noqa: RUF001
    await expect(page.get_by_text("Работает").first).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("admin.")
    await page.screenshot(path=str(SCREENSHOTS / "ru-admin-system.png"), full_page=True)


async def test_the_admin_area_fits_a_phone_screen(page: Page, stack: Stack) -> None:
    await page.set_viewport_size({"width": 375, "height": 740})
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(stack.gateway_url + "/#/admin/sla")
    await expect(page.get_by_role("heading", name="New plan")).to_be_visible()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


ADMIN_PAGES = {
    "units": "Units",
    "users": "Users",
    "sla": "SLA plans",
    "calendars": "Calendars",
    "subjects": "Subjects",
    "groups": "Client groups",
    "positions": "Positions",
    "fields": "Custom fields",
    "recurring": "Recurring tickets",
    "settings": "Settings",
    "mailboxes": "Mailboxes",
    "mailing": "Mass mailing",
    "dead-letters": "Failed notifications",
    "system": "System information",
}


async def test_every_admin_page_opens_and_a_position_is_created_renamed_and_deleted_after_confirming(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    for path, heading in ADMIN_PAGES.items():
        await page.goto(f"{stack.gateway_url}/#/admin/{path}")
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("admin.")
        await expect(page.locator("main")).not_to_contain_text("[object")

    await page.goto(f"{stack.gateway_url}/#/admin/positions")
    position = f"Engineer {secrets.token_hex(3)}"
    await page.get_by_label("Position", exact=True).fill(position)
    await page.get_by_role("button", name="Create position").click()
    row = page.get_by_role("row").filter(has_text=position)
    await row.get_by_role("button", name="Rename").click()
    await row.get_by_role("textbox").fill(position + " II")
    await row.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text=position + " II")
    await expect(row).to_be_visible()
    await row.get_by_role("button", name="Delete").click()
    await row.get_by_role("button", name="Cancel").click()  # changed my mind: nothing happens
    await expect(row).to_be_visible()
    await row.get_by_role("button", name="Delete").click()
    await expect(row.get_by_role("alert")).to_contain_text(f"Delete “{position} II”?")
    await row.get_by_role("button", name="Yes, delete").click()
    await expect(page.locator("main").get_by_role("status")).to_contain_text("deleted")
    names = {p["name"] for p in api.get("/api/v1/positions", headers=bearer(admin_token)).json()["items"]}
    assert position + " II" not in names and position not in names


async def test_saving_mail_settings_with_the_password_left_empty_keeps_it_and_ldap_test_reports_back(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    stored = api.put(
        "/api/v1/settings/mail",
        json={
            "enabled": False,
            "host": "smtp.example.org",
            "port": 587,
            "security": "starttls",
            "password": "s3cret",
        },
        headers=bearer(admin_token),
    )
    assert stored.status_code == 200, stored.text
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/admin/settings")
    mail = page.get_by_role("region", name="Outgoing mail")
    await expect(mail.get_by_text("A secret is stored; leave empty to keep it.")).to_be_visible()
    await expect(mail.get_by_label("Password")).to_have_value("")  # the secret is never put in the page
    await mail.get_by_label("SMTP server").fill("mail.example.org")
    await mail.get_by_role("button", name="Save").click()
    await expect(mail.get_by_role("status")).to_have_text("Settings saved.")
    after = api.get("/api/v1/settings/mail", headers=bearer(admin_token)).json()
    assert after["host"] == "mail.example.org"
    assert after["password"]  # still set (masked), not wiped
    assert after["password"] != "s3cret"

    ldap = page.get_by_role("region", name="LDAP / Active Directory")
    await ldap.get_by_role("button", name="Test connection").click()
    await expect(ldap.get_by_role("status")).to_have_text("Connection failed: LDAP is not enabled.")


class _Sink:
    """An SMTP server on loopback that keeps the recipients of what it receives."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp_sink(api: httpx.Client, admin_token: str) -> Iterator[_Sink]:
    """Mail goes to a local sink for the test; sending is switched off again afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    mail = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "helpdesk@example.test"}
    put = api.put("/api/v1/settings/mail", json={"enabled": True, **mail}, headers=bearer(admin_token))
    assert put.status_code == 200, put.text
    try:
        yield sink
    finally:
        api.put("/api/v1/settings/mail", json={"enabled": False, **mail}, headers=bearer(admin_token))
        controller.stop()


async def test_a_mass_mailing_shows_its_progress_until_it_is_done(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str, smtp_sink: _Sink
) -> None:
    unit = api.post(
        "/api/v1/units", json={"name": f"Mailing unit {secrets.token_hex(3)}"}, headers=bearer(admin_token)
    ).json()
    addresses = []
    for i in range(2):
        address = f"reader{i}{secrets.token_hex(3)}@example.org"
        addresses.append(address)
        created = api.post(
            "/api/v1/users",
            json={
                "login": f"m{i}{secrets.token_hex(3)}",
                "full_name": f"Reader {i}",
                "email": address,
                "kind": "staff",
                "role": "unit_member",
                "unit_ids": [unit["id"]],
            },
            headers=bearer(admin_token),
        )
        assert created.status_code == 201, created.text
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/admin/mailing")
    await page.get_by_label("Subject").fill("Planned maintenance")
    await page.get_by_label("Message").fill("The printers are off on Saturday.")
    await page.get_by_role("button", name="Send mailing").click()  # nobody chosen: refused in the page
    await expect(page.locator("main").get_by_role("status").first).to_contain_text("Choose at least one")
    await page.get_by_label(unit["name"]).check()
    await page.get_by_role("button", name="Send mailing").click()
    progress = page.locator(".mailing-progress")
    await expect(progress.locator("progress")).to_be_visible()
    await expect(progress).to_contain_text("2 of 2 sent, 0 failed", timeout=30000)
    await expect(progress).to_contain_text("Done")
    assert await progress.locator("progress").get_attribute("value") == "2"
    with smtp_sink.lock:
        assert set(addresses) <= set(smtp_sink.recipients)


async def test_an_admin_edits_a_user_and_disables_him_after_confirming_then_he_cannot_sign_in(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    user, password = _staff(api, admin_token)
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/admin/users")
    await page.get_by_label("Search (login, name, e-mail)").fill(user)
    await page.get_by_role("button", name="Find").click()
    await page.get_by_role("link", name=user, exact=True).click()
    await expect(page.get_by_role("heading", name=f"User {user}")).to_be_visible()
    await page.get_by_label("Full name").fill("Mary Renamed")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("main").get_by_role("status")).to_have_text(f"User “{user}” saved.")

    await page.get_by_role("button", name="Disable").click()
    await expect(page.get_by_role("alert")).to_contain_text(f"Disable “{user}”?")
    await page.get_by_role("button", name="Yes, disable").click()
    await expect(page.get_by_label("Status")).to_have_value("disabled")
    assert api.post("/api/v1/auth/login", json={"login": user, "password": password}).status_code == 401
    found = api.get("/api/v1/users", params={"q": user}, headers=bearer(admin_token)).json()["items"]
    assert [(u["full_name"], u["status"]) for u in found] == [("Mary Renamed", "disabled")]


async def test_a_subject_with_its_sla_plan_and_a_client_group_with_its_lead_are_created(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    tag = secrets.token_hex(3)
    plan = api.post(
        "/api/v1/sla-plans",
        json={"name": f"Plan {tag}", "limits": {"normal": {"reaction": 3600}}},
        headers=bearer(admin_token),
    )
    assert plan.status_code == 201, plan.text
    lead = api.post(
        "/api/v1/users",
        json={
            "login": f"lead{tag}",
            "full_name": f"Lena Lead {tag}",
            "kind": "client",
            "password": "lead-password",
        },
        headers=bearer(admin_token),
    ).json()
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()

    await page.goto(f"{stack.gateway_url}/#/admin/subjects")
    await page.get_by_label("Subject", exact=True).fill(f"Printers {tag}")
    await page.get_by_label("SLA plan").select_option(label=f"Plan {tag}")
    await page.get_by_role("button", name="Create subject").click()
    await expect(page.locator("main").get_by_role("status")).to_contain_text(f"Printers {tag}")
    subjects = api.get("/api/v1/subjects", headers=bearer(admin_token)).json()["items"]
    assert {"name": f"Printers {tag}", "sla_plan_id": plan.json()["id"]}.items() <= next(
        s for s in subjects if s["name"] == f"Printers {tag}"
    ).items()

    await page.goto(f"{stack.gateway_url}/#/admin/groups")
    await page.get_by_label("Group name").fill(f"Acme {tag}")
    # The page also lists existing groups, each with its own "Lead of …" picker: take
    # the one in the form that holds the "Group name" field.
    form = page.locator("form").filter(has=page.get_by_label("Group name"))
    await form.locator('select[name="lead_id"]').select_option(label=f"Lena Lead {tag} (lead{tag})")
    await page.get_by_role("button", name="Create group").click()
    await expect(page.locator("main").get_by_role("status")).to_contain_text(f"Acme {tag}")
    groups = api.get("/api/v1/client-groups", headers=bearer(admin_token)).json()["items"]
    assert next(g for g in groups if g["name"] == f"Acme {tag}")["lead_id"] == lead["id"]


class _Refusing:
    """An SMTP server that refuses every recipient until told otherwise, then keeps them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.refusing = True
        self.recipients: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refusing:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


async def test_an_admin_sees_a_failed_mail_with_its_reason_and_replays_it_once_from_the_page(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _Refusing()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    mail = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "helpdesk@example.test"}
    admin = bearer(admin_token)
    try:
        assert (
            api.put("/api/v1/settings/mail", json={"enabled": True, **mail}, headers=admin).status_code == 200
        )
        unit = api.post("/api/v1/units", json={"name": f"Dead {secrets.token_hex(3)}"}, headers=admin).json()
        address = f"gone{secrets.token_hex(3)}@example.org"
        member = api.post(
            "/api/v1/users",
            json={
                "login": f"d{secrets.token_hex(4)}",
                "full_name": "Gone Member",
                "email": address,
                "kind": "staff",
                "role": "unit_member",
                "unit_ids": [unit["id"]],
            },
            headers=admin,
        )
        assert member.status_code == 201, member.text
        ticket = {"subject": "Refused", "body": "b", "priority": "normal", "unit_id": unit["id"]}
        assert api.post("/api/v1/tickets", json=ticket, headers=admin).status_code == 201

        await sign_in(page, stack, "system", ADMIN_PASSWORD)
        await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
        deliveries = page.get_by_role("region", name="Failed deliveries")
        row = deliveries.get_by_role("row").filter(has_text=address)
        for _ in range(60):  # the refusal reaches the dead letters within seconds
            await page.goto(f"{stack.gateway_url}/#/admin/dead-letters")
            await expect(deliveries).to_be_visible()
            if await row.count():
                break
            await page.wait_for_timeout(500)
        await expect(row).to_contain_text("550")
        await expect(page.get_by_role("region", name="Parked events")).to_be_visible()
        server.refusing = False  # the mailbox exists now
        await row.get_by_role("button", name="Replay").click()
        await expect(page.locator("main").get_by_role("status").first).to_have_text("Replayed: 1.")
        await expect(deliveries.get_by_role("row").filter(has_text=address)).to_have_count(0)
        for _ in range(60):
            with server.lock:
                if address in server.recipients:
                    break
            await page.wait_for_timeout(500)
        await page.wait_for_timeout(1500)  # would a second copy follow?
        with server.lock:
            assert server.recipients.count(address) == 1
    finally:
        api.put("/api/v1/settings/mail", json={"enabled": False, **mail}, headers=admin)
        controller.stop()
