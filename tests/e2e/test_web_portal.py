"""The portal in a real browser (Debian's Chromium driven by Playwright): an anonymous
visitor reads posts, the knowledge base and news without signing in, in English and
Russian and on a 375-pixel phone; a client posts, likes and comments; staff answer,
set the status and make a ticket of a post; the admin switches the portal on. The
screenshots in docs/screenshots/portal-*.png come from here."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, SCREENSHOTS, bearer, login, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]

PASSWORD = "portal-web-password"
TEXT = {
    "en": {
        "title": "Helpdesk community",
        "intro": "Share ideas, report problems, ask questions. Our team answers here.",
        "posts": [
            ("idea", "Dark mode for the web interface", "Evenings are long. A **dark theme** would help."),
            ("problem", "Printers on the third floor are jammed", "Every morning since Monday."),
            ("question", "How do I connect to the VPN from home?", "Which client should I install?"),
            ("thanks", "Thank you for the quick fix of the mail server", "Everything works again."),
        ],
        "comments": ["Same here, please!", "+1, my eyes would thank you."],
        "answer": "Planned for the **next release**: we are choosing the colours now.",
        "category": ("Network", "Remote access"),
        "article": (
            "Connecting to the VPN",
            "1. Install the client.\n2. Sign in with your **domain account**.\n"
            "3. Choose the *office* profile.",
        ),
        "news": ("Version 2.1 is out", "New: the public portal and the knowledge base."),
    },
    "ru": {
        "title": "Сообщество Helpdesk",
        "intro": "Делитесь идеями, сообщайте о проблемах, задавайте вопросы. Наша команда отвечает здесь.",
        "posts": [
            ("idea", "Тёмная тема для веб-интерфейса", "Вечера длинные. **Тёмная тема** очень помогла бы."),
            ("problem", "Принтеры на третьем этаже зажёвывают бумагу", "Каждое утро с понедельника."),
            ("question", "Как подключиться к VPN из дома?", "Какой клиент установить?"),
            ("thanks", "Спасибо за быстрый ремонт почтового сервера", "Всё снова работает."),
        ],
        "comments": ["Присоединяюсь, очень нужно!", "+1, глаза скажут спасибо."],
        "answer": "Запланировано на **следующий выпуск**: сейчас выбираем цвета.",
        "category": ("Сеть", "Удалённый доступ"),
        "article": (
            "Подключение к VPN",
            "1. Установите клиент.\n2. Войдите под **доменной учётной записью**.\n"
            "3. Выберите профиль *Офис*.",
        ),
        "news": ("Вышла версия 2.1", "Новое: открытый портал и база знаний."),
    },
}


def user(
    api: httpx.Client, admin_token: str, full_name: str, kind: str = "client", **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "login": f"w{secrets.token_hex(4)}",
        "password": PASSWORD,
        "full_name": full_name,
        "kind": kind,
        **fields,
    }
    if kind == "staff":
        body.setdefault("role", "unit_member")
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    made: dict[str, Any] = resp.json()
    made["token"] = login(api, body["login"], PASSWORD)
    return made


@pytest.fixture(scope="module", autouse=True)
def portal_off_afterwards(api: httpx.Client, admin_token: str) -> Iterator[None]:
    """The portal goes off again after these tests: the other pages' screenshots show the
    product as it ships."""
    yield
    api.put("/api/v1/settings/portal", json={"enabled": False}, headers=bearer(admin_token))


def portal_on(api: httpx.Client, admin_token: str, lang: str) -> None:
    text = TEXT[lang]
    resp = api.put(
        "/api/v1/settings/portal",
        json={
            "enabled": True,
            "title": text["title"],
            "intro": text["intro"],
            "posts_per_hour": 0,
            "comments_per_hour": 0,
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 200, resp.text
    deadline = time.monotonic() + 10
    while api.get("/api/v1/portal").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def seed(api: httpx.Client, admin_token: str, lang: str) -> dict[str, Any]:
    """Posts with votes, comments and an official answer, a category tree with an article, news."""
    text = TEXT[lang]
    portal_on(api, admin_token, lang)
    names = (
        ("Anna Petrova", "Boris Ivanov", "Clara Smith")
        if lang == "en"
        else ("Анна Петрова", "Борис Иванов", "Клара Смирнова")
    )
    people = [user(api, admin_token, n) for n in names]
    staff = user(api, admin_token, "Sam Support" if lang == "en" else "Сергей Поддержкин", "staff")
    posts = []
    for i, (kind, title, body) in enumerate(text["posts"]):
        made = api.post(
            "/api/v1/portal/posts",
            json={"kind": kind, "title": title, "body": body},
            headers=bearer(people[i % 3]["token"]),
        )
        assert made.status_code == 201, made.text
        posts.append(made.json())
    idea = posts[0]
    for who, comment in zip(people[1:], text["comments"], strict=True):
        api.post(
            f"/api/v1/portal/posts/{idea['id']}/like", json={"value": "like"}, headers=bearer(who["token"])
        )
        api.post(
            f"/api/v1/portal/posts/{idea['id']}/comments",
            json={"body": comment},
            headers=bearer(who["token"]),
        )
    answered = api.patch(
        f"/api/v1/portal/posts/{idea['id']}",
        json={"status": "planned", "answer": text["answer"]},
        headers=bearer(staff["token"]),
    )
    assert answered.status_code == 200, answered.text
    # The categories once per language, however often this runs in a session.
    known = {c["name"]: c for c in api.get("/api/v1/portal/kb/categories").json()["items"]}
    top = (
        known.get(text["category"][0])
        or api.post(
            "/api/v1/portal/kb/categories", json={"name": text["category"][0]}, headers=bearer(admin_token)
        ).json()
    )
    sub = (
        known.get(text["category"][1])
        or api.post(
            "/api/v1/portal/kb/categories",
            json={"name": text["category"][1], "parent_id": top["id"]},
            headers=bearer(admin_token),
        ).json()
    )
    article = api.post(
        "/api/v1/portal/kb/articles",
        json={
            "category_id": sub["id"],
            "title": text["article"][0],
            "body": text["article"][1],
            "visibility": "public",
        },
        headers=bearer(staff["token"]),
    )
    assert article.status_code == 201, article.text
    news = api.post(
        "/api/v1/portal/news",
        json={"title": text["news"][0], "body": text["news"][1]},
        headers=bearer(admin_token),
    )
    assert news.status_code == 201, news.text
    return {"idea": idea, "article": article.json(), "category": sub, "people": people, "staff": staff}


@asynccontextmanager
async def visitor(browser: Browser, locale: str, width: int = 1100) -> AsyncIterator[Page]:
    """A browser nobody signed in to, failing the test on a CSP violation or a script error."""
    context = await browser.new_context(viewport={"width": width, "height": 760}, locale=locale)
    p = await context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield p
    finally:
        await context.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


async def _screens(browser: Browser, stack: Stack, api: httpx.Client, admin_token: str, lang: str) -> None:
    seeded = seed(api, admin_token, lang)
    text = TEXT[lang]
    ru = lang == "ru"
    async with visitor(browser, "ru-RU" if ru else "en-US") as page:
        await page.goto(f"{stack.gateway_url}/portal")  # the address a mail or a link gives
        await expect(
            page.get_by_role(
                "heading", name="Идеи, проблемы и вопросы" if ru else "Ideas, problems and questions"
            )
        ).to_be_visible()
        await expect(page.locator("#post-list .post-card").first).to_be_visible()
        await expect(page.get_by_text(text["intro"])).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text("[object")
        await page.screenshot(path=str(SCREENSHOTS / f"portal-{lang}-list.png"))

        await page.locator(f'a[href="#/portal/posts/{seeded["idea"]["id"]}"]').click()
        await expect(page.get_by_role("heading", name=text["posts"][0][1], level=1)).to_be_visible()
        await expect(page.locator(".official .comment-body strong")).to_be_visible()  # the answer's Markdown
        await expect(page.locator("#comments .comment")).to_have_count(2)
        await expect(page.get_by_text("чтобы комментировать." if ru else "to comment.")).to_be_visible()
        await page.screenshot(path=str(SCREENSHOTS / f"portal-{lang}-post.png"), full_page=True)

        await page.get_by_role("link", name="База знаний" if ru else "Knowledge base").first.click()
        await page.locator(f'.kb-tree a[href="#/portal/kb?category={seeded["category"]["id"]}"]').click()
        await page.locator(f'a[href="#/portal/kb/{seeded["article"]["id"]}"]').click()
        await expect(page.get_by_role("heading", name=text["article"][0])).to_be_visible()
        await page.get_by_role("button", name="Да" if ru else "Yes", exact=True).click()
        await expect(page.locator("#helpful-counts")).to_have_text(
            "Помогла: 1 · Не помогла: 0" if ru else "Helpful: 1 · Not helpful: 0"
        )
        await page.reload()  # the vote is this browser's (its cookie): still shown as chosen
        await expect(page.get_by_role("button", name="Да" if ru else "Yes", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        await page.screenshot(path=str(SCREENSHOTS / f"portal-{lang}-article.png"), full_page=True)

        await page.get_by_role("link", name="Новости" if ru else "News").first.click()
        await expect(page.get_by_role("heading", name=text["news"][0]).first).to_be_visible()
    assert seeded["article"]["helpful_yes"] == 0


async def test_an_anonymous_visitor_reads_the_portal_in_english_and_the_screenshots_are_taken(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _screens(browser, stack, api, admin_token, "en")


async def test_an_anonymous_visitor_reads_the_portal_in_russian_and_the_screenshots_are_taken(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    await _screens(browser, stack, api, admin_token, "ru")


# The elements that stick out on the right (to tell which one breaks the layout).
WIDEST = """[...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > 375)
  .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).slice(0, 8)"""


async def test_the_portal_pages_fit_a_375_pixel_wide_phone(
    browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    seeded = seed(api, admin_token, "en")
    async with visitor(browser, "en-US", width=375) as phone:
        for route, ready in [
            ("#/portal", "#post-list .post-card"),
            (f"#/portal/posts/{seeded['idea']['id']}", "#comments .comment"),
            ("#/portal/kb", "#article-list li"),
            (f"#/portal/kb/{seeded['article']['id']}", "#helpful-counts"),
            ("#/portal/news", "#news-list li"),
        ]:
            await phone.goto(f"{stack.gateway_url}/{route}")
            await expect(phone.locator(ready).first).to_be_visible()
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (route, width, await phone.evaluate(WIDEST))


async def test_a_client_posts_likes_and_comments_and_staff_answer_and_make_a_ticket(
    page: Page, browser: Browser, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    portal_on(api, admin_token, "en")
    unit = api.post(
        "/api/v1/units", json={"name": f"Portal desk {secrets.token_hex(2)}"}, headers=bearer(admin_token)
    ).json()
    client = user(api, admin_token, "Carla Client")
    staff = user(api, admin_token, "Stan Staff", "staff", unit_ids=[unit["id"]])
    title = f"Wi-Fi drops in the meeting room {secrets.token_hex(2)}"

    await sign_in(page, stack, client["login"], PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, Carla Client")).to_be_visible()
    await page.get_by_role("link", name="Portal", exact=True).click()
    await page.get_by_role("link", name="New post").click()
    await page.get_by_label("Kind").select_option("problem")
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Text").fill("It drops **every hour**.")
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.locator(".post-body strong")).to_have_text("every hour")
    await page.get_by_role("button", name="Like (0)", exact=True).click()
    await expect(page.get_by_role("button", name="Like (1)", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.get_by_label("Add a comment").fill("Room 4.12, if that helps.")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#comments .comment-body")).to_have_text("Room 4.12, if that helps.")
    await expect(page.get_by_role("heading", name="Moderation")).to_have_count(0)  # not for clients
    post_url = page.url

    context = await browser.new_context(viewport={"width": 1100, "height": 760})
    agent = await context.new_page()
    try:
        await sign_in(agent, stack, staff["login"], PASSWORD)
        await expect(agent.get_by_role("heading", name="Hello, Stan Staff")).to_be_visible()
        await agent.goto(post_url)
        await expect(agent.get_by_role("heading", name="Moderation")).to_be_visible()
        await agent.get_by_label("Status").select_option("in_progress")
        await agent.get_by_role("button", name="Set the status").click()
        await expect(agent.locator(".post-tags .pstatus")).to_have_text("In progress")
        await agent.get_by_label("Official answer").fill("We are replacing the access point.")
        await agent.get_by_role("button", name="Save the answer").click()
        await expect(agent.locator(".official")).to_contain_text("We are replacing the access point.")
        await agent.get_by_label("Unit").select_option(label=unit["name"])
        await agent.get_by_role("button", name="Make a ticket").click()
        ticket_link = agent.get_by_role("link", name="was made of this post")
        await expect(ticket_link).to_be_visible()
        await ticket_link.click()
        await expect(agent.get_by_role("heading", name=title)).to_be_visible()  # the ticket's page
    finally:
        await context.close()
    await page.reload()
    await expect(page.locator(".official")).to_contain_text("We are replacing the access point.")


async def test_the_admin_switches_the_portal_on_and_off_in_the_admin_area(
    page: Page, stack: Stack, api: httpx.Client, admin_token: str
) -> None:
    portal_on(api, admin_token, "en")
    await sign_in(page, stack, "system", ADMIN_PASSWORD)
    await expect(page.get_by_role("heading", name="Hello, System")).to_be_visible()
    await page.goto(f"{stack.gateway_url}/#/admin/portal")
    await expect(page.get_by_label("Title")).to_have_value(TEXT["en"]["title"])
    await page.get_by_label("Posts per user and hour").fill("3")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    assert api.get("/api/v1/settings/portal", headers=bearer(admin_token)).json()["posts_per_hour"] == 3
    await page.get_by_role("link", name="Knowledge base categories").click()
    name = f"Printers {secrets.token_hex(2)}"
    await page.get_by_label("Name").fill(name)
    await page.get_by_role("button", name="Add the category").click()
    await expect(page.get_by_role("cell", name=name)).to_be_visible()
    portal_on(api, admin_token, "en")  # back to no posting limits for the other tests
