"""Web interface bench: how fast the agent pages render in Chromium, and how fast the inbox updates live.

    .venv/bin/python bench/web_pages.py                       # starts its own stack
    .venv/bin/python bench/web_pages.py --url http://127.0.0.1:8080 --password <admin password>

Creates a unit, a member and ``--tickets`` tickets (one with ``--comments``
comments), then, in Debian's Chromium driven by Playwright, measures (median and
max of ``--rounds``): the bytes of the page and its modules on a cold load; sign-in
click → dashboard drawn; inbox route → 50 rows drawn; ticket route → comments
drawn; and a ticket created through the API → its row in the member's open inbox
(the live path: tickets → NATS → realtime → socket → debounced list reload).
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

sys.path.insert(0, str(Path(__file__).parent))
from create_tickets import own_stack

PASSWORD = "bench-web-password"


def prepare(url: str, admin_password: str, tickets: int, comments: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=30) as api:
        admin = api.post("/api/v1/auth/login", json={"login": "system", "password": admin_password}).json()
        h = {"Authorization": f"Bearer {admin['access_token']}"}
        unit_id = api.post(
            "/api/v1/units", json={"name": f"Web bench {secrets.token_hex(3)}"}, headers=h
        ).json()["id"]
        login = f"webbench{secrets.token_hex(3)}"
        api.post(
            "/api/v1/users",
            json={
                "login": login,
                "password": PASSWORD,
                "full_name": "Web Bench",
                "kind": "staff",
                "role": "unit_member",
                "unit_ids": [unit_id],
            },
            headers=h,
        ).raise_for_status()
        ids = []
        for i in range(tickets):
            r = api.post(
                "/api/v1/tickets",
                json={"subject": f"Bench ticket {i}", "body": "x" * 200, "unit_id": unit_id},
                headers=h,
            )
            ids.append(r.json()["id"])
        for i in range(comments):
            api.post(
                f"/api/v1/tickets/{ids[0]}/comments", json={"body": f"Comment **{i}** with `code`"}, headers=h
            )
        return {"unit_id": unit_id, "login": login, "ticket_id": ids[0], "admin_headers": h}


async def timed(page: Page, action: Any, ready: str) -> float:
    start = time.perf_counter()
    await action(page)
    await page.locator(ready).first.wait_for(state="visible", timeout=60_000)
    return (time.perf_counter() - start) * 1000


async def bench(url: str, admin_password: str, tickets: int, comments: int, rounds: int) -> None:
    data = await asyncio.to_thread(prepare, url, admin_password, tickets, comments)
    figures: dict[str, list[float]] = {"dashboard": [], "inbox": [], "ticket": [], "live": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        for n in range(rounds):
            # A fresh browser context per round: a cold cache and a fresh sign-in.
            context = await browser.new_context(viewport={"width": 1100, "height": 760})
            page = await context.new_page()
            sizes: list[int] = []

            async def on_response(resp: Any, sizes: list[int] = sizes) -> None:
                if "/static/" in resp.url or resp.url.rstrip("/") == url:
                    # A redirect or an aborted response has no body.
                    with contextlib.suppress(Exception):
                        sizes.append(len(await resp.body()))

            page.on("response", on_response)
            await page.goto(url + "/")
            await page.get_by_label("Login").fill(data["login"])
            if n == 0:
                print(f"cold load: {len(sizes)} files, {sum(sizes) / 1024:.1f} KiB (uncompressed)")
            await page.get_by_label("Password").fill(PASSWORD)
            figures["dashboard"].append(
                await timed(
                    page, lambda p: p.get_by_role("button", name="Sign in").click(), "#dashboard-inbox tr"
                )
            )
            figures["inbox"].append(
                await timed(
                    page,
                    lambda p: p.evaluate("location.hash = '#/tickets?box=inbox'"),
                    "#ticket-list tr:nth-child(50)",
                )
            )
            figures["ticket"].append(
                await timed(
                    page,
                    lambda p: p.evaluate(f"location.hash = '#/tickets/{data['ticket_id']}'"),
                    "#comments .comment",
                )
            )
            await page.evaluate("location.hash = '#/tickets?box=inbox'")
            await page.locator("#ticket-list tr").nth(1).wait_for()
            await asyncio.sleep(1)  # the socket is open
            subject = f"Live {secrets.token_hex(4)}"

            async def create(_page: Page, subject: str = subject) -> None:
                async with httpx.AsyncClient(base_url=url, timeout=30) as api:
                    await api.post(
                        "/api/v1/tickets",
                        json={"subject": subject, "unit_id": data["unit_id"]},
                        headers=data["admin_headers"],
                    )

            figures["live"].append(await timed(page, create, f"#ticket-list tr:has-text('{subject}')"))
            await context.close()
        await browser.close()
    print(f"{'step':<42} {'median ms':>10} {'max ms':>10}")
    labels = {
        "dashboard": "sign-in click → dashboard drawn",
        "inbox": f"inbox route → 50 rows drawn ({tickets} tickets)",
        "ticket": f"ticket route → {comments} comments drawn",
        "live": "API create → row in the open inbox (live)",
    }
    for key, values in figures.items():
        print(f"{labels[key]:<42} {statistics.median(values):10.0f} {max(values):10.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="gateway of a running stack (default: start one)")
    parser.add_argument("--password", help="password of `system` (with --url)")
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--comments", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.url:
        if not args.password:
            parser.error("--url needs --password")
        asyncio.run(bench(args.url.rstrip("/"), args.password, args.tickets, args.comments, args.rounds))
        return 0
    password = secrets.token_urlsafe(12)
    with own_stack(password) as url:
        asyncio.run(bench(url, password, args.tickets, args.comments, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
