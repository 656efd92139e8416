"""The API reference page: Swagger UI from the gateway's own files, under the gateway's
CSP, showing the operations of the OpenAPI document (the ``page`` fixture fails the test
on any CSP violation or script error)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from playwright.async_api import Page

from helpdesk_devstack.stack import Stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]


async def test_the_docs_page_renders_the_operations_under_the_csp(stack: Stack, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    response = await page.goto(stack.gateway_url + "/docs")
    assert response is not None and "default-src 'self'" in response.headers["content-security-policy"]
    await page.locator(".opblock").first.wait_for(timeout=30_000)
    # A long document is drawn as it scrolls into view (Swagger UI keeps only what is near
    # the viewport in the page): scroll to the end, collecting every operation drawn.
    seen: set[str] = set()
    for _ in range(400):
        drawn = await page.locator(".opblock-summary").evaluate_all(
            "els => els.map(e => e.textContent.replace(/\\s+/g, ' ').trim())"
        )
        before = len(seen)
        seen.update(drawn)
        at_end = await page.evaluate(
            "() => { window.scrollBy(0, 400); return innerHeight + scrollY >= document.body.scrollHeight; }"
        )
        if at_end and len(seen) == before:
            break
        await asyncio.sleep(0.05)
    operations = len(seen)
    assert operations > 80, operations
    assert any("/api/v1/tickets/{ticket_id}/lock" in op for op in seen)
    assert all(url.startswith(stack.gateway_url) for url in requested), "something came from elsewhere"
