"""End-to-end fixtures: every service as its own process, against real servers."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from helpdesk_devstack.servers.dovecot import Dovecot
from helpdesk_devstack.stack import Stack
from helpdesk_devstack.testing.otlp import SpanCollector

from .contract import ContractChecker

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "e2e-" + secrets.token_hex(8)


@pytest.fixture(scope="session")
def span_collector() -> Iterator[SpanCollector]:
    collector = SpanCollector()
    collector.start()
    yield collector
    collector.stop()


def _imap_ca_file(request: pytest.FixtureRequest) -> str:
    """The authority of the devstack plugin's dovecot, which mailin must trust to read the
    test mailboxes over TLS; "" without dovecot (the mail tests are then skipped)."""
    try:
        server: Dovecot = request.getfixturevalue("dovecot")
    except pytest.skip.Exception:
        return ""
    return str(server.ca_file)


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, span_collector: SpanCollector, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    env = {
        "HELPDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HELPDESK_OTLP_ENDPOINT": span_collector.endpoint,
        "HELPDESK_LOG_LEVEL": "INFO",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        # The suite files tickets and comments as the admin faster than any person would:
        # the per-user limits (tested in services/gateway/tests/test_rate_limits.py) are off.
        "HELPDESK_RATE_TICKETS": "",
        # The general limit stays on (its RateLimit-* fields are in every answer the contract
        # checker sees) but out of the way of the suite's pace.
        "HELPDESK_RATE_API": "100000/minute",
        "HELPDESK_RATE_COMMENTS": "",
        "HELPDESK_RATE_UPLOADS": "",
        "HELPDESK_RATE_PORTAL_UPLOADS": "",
        "HELPDESK_RATE_PORTAL_VOTES": "",
        # This machine's loopback address is the "proxy" of test_edge.py; 127.0.0.2 is not.
        "HELPDESK_TRUSTED_PROXIES": "127.0.0.1/32",
        # Transient retries pause at most 5 s (not 5 min): outage tests see events arrive
        # soon after the dependency returns, down the same retry path (test_outages.py).
        "HELPDESK_CONSUMER_RETRY_CAP_SECONDS": "5",
        # Recurring tickets are filed within 2 s of their time, not a minute.
        "HELPDESK_ARCHIVE_EVERY_SECONDS": "2",
        # Mail intake: short leases, so a killed poller's mailbox is taken over within seconds.
        "HELPDESK_MAILIN_POLL_SECONDS": "2",
        "HELPDESK_MAILIN_LEASE_SECONDS": "6",
        "HELPDESK_MAILIN_CA_FILE": _imap_ca_file(request),
        # Webhooks retry after 0.2 s doubling to 1 s (not 10 s to an hour): a receiver's
        # outage in test_webhooks.py is over in seconds, down the same retry path.
        "HELPDESK_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
        "HELPDESK_WEBHOOK_BACKOFF_CAP_SECONDS": "1",
        "HELPDESK_WEBHOOK_TIMEOUT_SECONDS": "3",
    }
    s = Stack(
        ROOT / "devstack.toml", tmp_path_factory.mktemp("stack"), durable=False, env=env, ready_timeout=180
    )
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def contract(stack: Stack) -> Iterator[ContractChecker]:
    """Every answer of the ``api`` client, checked against the gateway's OpenAPI document;
    the session fails at its end if any did not match (tests/e2e/contract.py)."""
    document = httpx.get(stack.gateway_url + "/api/v1/openapi.json", timeout=10).raise_for_status().json()
    checker = ContractChecker(document)
    yield checker
    assert not checker.failures, (
        f"{len(checker.failures)} of {checker.checked} answers do not match the OpenAPI document:\n"
        + "\n".join(checker.failures)
    )


@pytest.fixture(scope="session")
def api(stack: Stack, contract: ContractChecker) -> Iterator[httpx.Client]:
    hooks = {"response": [contract.check]}
    with httpx.Client(base_url=stack.gateway_url, timeout=10, event_hooks=hooks) as client:
        yield client


def login(api: httpx.Client, user: str, password: str) -> str:
    resp = api.post("/api/v1/auth/login", json={"login": user, "password": password})
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["access_token"]
    return token


@pytest.fixture(scope="session")
def admin_token(api: httpx.Client) -> str:
    return login(api, "system", ADMIN_PASSWORD)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- browser (Debian's Chromium driven by Playwright) ----------------------------

SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context per test; fails the test on a CSP violation or a script error."""
    context = await browser.new_context(viewport={"width": 1100, "height": 760})
    p = await context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    await context.close()
    # A CSP violation or a script error shows up here.
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


async def sign_in(page: Page, stack: Stack, user: str, password: str) -> None:
    await page.goto(stack.gateway_url + "/")
    await page.get_by_label("Login").or_(page.get_by_label("Логин")).fill(user)
    await page.get_by_label("Password").or_(page.get_by_label("Пароль")).fill(password)
    await page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Войти")).click()
