"""The gateway's edge, as a client on the network meets it: request bodies over their
limit are refused at once without the gateway holding them, the client's address comes
from X-Forwarded-For only through a trusted proxy (rate limits see each real client),
and the socket cookie is Secure behind TLS."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from helpdesk_devstack.stack import Stack

from .conftest import ADMIN_PASSWORD, bearer, login

MB = 1024 * 1024

pytestmark = pytest.mark.e2e


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def _send_until_answered(url: str, head: bytes, chunk: bytes, total: int) -> tuple[bytes, int, float]:
    """Sends ``head`` then ``chunk`` after chunk (up to ``total`` bytes) until the server
    answers; returns (status line, bytes of body sent, seconds taken)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    started = time.monotonic()
    writer.write(head)
    sent = 0
    answer = asyncio.ensure_future(reader.readline())
    try:
        while sent < total and not answer.done():
            writer.write(chunk)
            sent += len(chunk)
            try:
                await asyncio.wait_for(writer.drain(), timeout=2)
            except (ConnectionError, TimeoutError):
                break
            await asyncio.sleep(0)
        status = await asyncio.wait_for(answer, timeout=10)
    finally:
        writer.close()
    return status, sent, time.monotonic() - started


async def test_a_600_mb_login_body_is_a_413_at_once_and_the_gateway_does_not_grow(stack: Stack) -> None:
    pid = stack.pid("gateway")
    assert pid is not None
    before = rss_kib(pid)
    size = 600 * MB
    declared = (
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    status, sent, took = await _send_until_answered(stack.gateway_url, declared, b"x" * MB, size)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert took < 5 and sent < 100 * MB, (took, sent)

    chunked_head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n" % MB + b"x" * MB + b"\r\n"
    status, sent, took = await _send_until_answered(stack.gateway_url, chunked_head, chunk, size)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert took < 10 and sent < 100 * MB, (took, sent)
    grown = rss_kib(pid) - before
    assert grown < 20 * 1024, f"the gateway grew by {grown} KiB"


def _failed_logins(client: httpx.Client, count: int, forwarded_for: str | None) -> list[int]:
    codes = []
    for _ in range(count):
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        body = {"login": "nobody-" + secrets.token_hex(4), "password": "wrong password"}
        codes.append(client.post("/api/v1/auth/login", json=body, headers=headers).status_code)
    return codes


def test_behind_a_trusted_proxy_two_clients_are_rate_limited_apart(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as proxy:  # from 127.0.0.1: trusted
        first = _failed_logins(proxy, 31, "198.51.100.7, 203.0.113.7")
        second = _failed_logins(proxy, 3, "198.51.100.7, 203.0.113.8")
    assert first[:30] == [401] * 30 and first[30] == 429, first
    assert second == [401, 401, 401], "the second client paid for the first one's failures"


def test_from_an_untrusted_peer_x_forwarded_for_is_ignored(stack: Stack) -> None:
    untrusted = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=stack.gateway_url, timeout=10, transport=untrusted) as peer:
        codes = [
            _failed_logins(peer, 1, f"203.0.113.{100 + i}")[0]  # a new "client" every time
            for i in range(31)
        ]
    assert codes[:30] == [401] * 30 and codes[30] == 429, codes


def test_the_socket_cookie_is_secure_when_a_trusted_proxy_says_https(stack: Stack, api: httpx.Client) -> None:
    token = login(api, "system", ADMIN_PASSWORD)
    plain = api.post("/web/session", headers=bearer(token))
    behind_tls = api.post("/web/session", headers={**bearer(token), "X-Forwarded-Proto": "https"})
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "secure" in behind_tls.headers["set-cookie"].lower()
