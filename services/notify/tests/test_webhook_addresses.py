"""The webhook sender's guard against internal addresses: names are judged by what they
resolve to at send time, the request goes to exactly the address that was checked (the
name stays in Host), redirects are not followed, and the signature is what the example
receiver verifies."""

from __future__ import annotations

import importlib.util
import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from helpdesk_notify.webhooks import signing
from helpdesk_notify.webhooks.addresses import AddressGuard, UrlRefused, parse_networks, refusal
from helpdesk_notify.webhooks.sender import Sender

ROOT = Path(__file__).resolve().parents[3]


class Resolver:
    """Answers what the test says a name resolves to, and counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[host]


@pytest.mark.parametrize(
    ("ip", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fd12::1", True),
        ("fe80::1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_internal_addresses_are_refused_and_public_ones_are_not(ip: str, refused: bool) -> None:
    assert (refusal(ipaddress.ip_address(ip)) is not None) is refused


def test_the_operators_networks_are_refused_and_an_allowed_range_wins() -> None:
    cluster = parse_networks("203.0.113.0/24")
    assert refusal(ipaddress.ip_address("203.0.113.9"), refused=cluster) is not None
    allowed = parse_networks("10.1.0.0/16")
    assert refusal(ipaddress.ip_address("10.1.2.3"), allowed=allowed) is None
    assert refusal(ipaddress.ip_address("10.2.0.1"), allowed=allowed) is not None


async def test_a_name_that_resolves_to_an_internal_address_is_refused() -> None:
    guard = AddressGuard(Resolver({"hooks.example": ["93.184.216.34"], "sneaky.example": ["10.0.0.7"]}))
    assert (await guard.target("https://hooks.example/x")).ip == "93.184.216.34"
    with pytest.raises(UrlRefused, match="private"):
        await guard.target("https://sneaky.example/x")


async def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    guard = AddressGuard(Resolver({"mixed.example": ["93.184.216.34", "127.0.0.1"]}))
    with pytest.raises(UrlRefused, match="loopback"):
        await guard.target("http://mixed.example/")


@pytest.mark.parametrize("url", ["ftp://x.example/", "http:///nohost", "http://user:pw@x.example/", "x"])
async def test_urls_that_cannot_be_a_webhook_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        await AddressGuard(Resolver({})).target(url)


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []
    answer = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append({"host": self.headers["Host"], "headers": dict(self.headers), "body": body})
        if type(self).answer == 0:  # a receiver that never answers in time
            time.sleep(1.5)
            return
        self.send_response(type(self).answer)
        if type(self).answer == 302:
            self.send_header("Location", "http://169.254.169.254/")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[int, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"seen": [], "answer": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1], handler
    server.shutdown()


def _example_receiver() -> Any:
    spec = importlib.util.spec_from_file_location(
        "webhook_receiver", ROOT / "examples" / "webhook_receiver.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_request_goes_to_the_checked_address_with_the_name_in_host_and_a_valid_signature(
    http_server: tuple[int, type[_Recorder]],
) -> None:
    port, handler = http_server
    # The name resolves to loopback, allowed for this webhook; a second lookup would say
    # something else, but the sender asks once and connects to what it checked.
    resolver = Resolver({"receiver.internal": ["127.0.0.1"]})
    sender = Sender(AddressGuard(resolver), timeout_seconds=5)
    try:
        attempt = await sender.send(
            url=f"http://receiver.internal:{port}/hook",
            allowed_cidr="127.0.0.1/32",
            secret="s3cret-s3cret-s3cret",
            payload=b'{"id":"e1"}',
            event_id="e1",
        )
    finally:
        await sender.close()
    assert attempt.outcome == "sent", attempt
    assert resolver.asked == ["receiver.internal"]
    [request] = handler.seen
    assert request["host"] == f"receiver.internal:{port}"
    header = request["headers"][signing.HEADER]
    assert _example_receiver().verify("s3cret-s3cret-s3cret", header, request["body"])
    assert not _example_receiver().verify("another-secret-entirely", header, request["body"])


async def test_a_name_resolving_to_loopback_is_not_contacted_without_an_allowed_range(
    http_server: tuple[int, type[_Recorder]],
) -> None:
    port, handler = http_server
    sender = Sender(AddressGuard(Resolver({"rebind.example": ["127.0.0.1"]})))
    try:
        attempt = await sender.send(
            url=f"http://rebind.example:{port}/",
            allowed_cidr="",
            secret="x" * 20,
            payload=b"{}",
            event_id="e",
        )
    finally:
        await sender.close()
    assert attempt.outcome == "dead" and "loopback" in attempt.error
    assert handler.seen == []


async def test_a_redirect_is_a_failure_and_is_not_followed(http_server: tuple[int, type[_Recorder]]) -> None:
    port, handler = http_server
    handler.answer = 302
    sender = Sender(AddressGuard(Resolver({})))
    try:
        attempt = await sender.send(
            url=f"http://127.0.0.1:{port}/",
            allowed_cidr="127.0.0.1/32",
            secret="x" * 20,
            payload=b"{}",
            event_id="e",
        )
    finally:
        await sender.close()
    assert attempt.outcome == "dead"
    assert attempt.status_code == 302 and "not followed" in attempt.error
    assert len(handler.seen) == 1


def test_the_example_receiver_refuses_a_signature_older_than_five_minutes() -> None:
    body = b'{"id":"e"}'
    header = signing.signature("k" * 20, 1_000_000, body)
    verify = _example_receiver().verify
    assert verify("k" * 20, header, body, now=1_000_000 + 299)
    assert not verify("k" * 20, header, body, now=1_000_000 + 301)
    assert not verify("k" * 20, header, body + b" ", now=1_000_000)


async def test_the_system_resolver_resolves_localhost_to_loopback_and_so_refuses_it() -> None:
    with pytest.raises(UrlRefused, match="loopback"):
        await AddressGuard().target("http://localhost:1/")


async def test_a_receiver_too_slow_to_answer_is_a_timeout_tried_again(
    http_server: tuple[int, type[_Recorder]],
) -> None:
    port, handler = http_server
    handler.answer = 0
    sender = Sender(AddressGuard(Resolver({})), timeout_seconds=0.3)
    try:
        attempt = await sender.send(
            url=f"http://127.0.0.1:{port}/",
            allowed_cidr="127.0.0.1/32",
            secret="x" * 20,
            payload=b"{}",
            event_id="e",
        )
    finally:
        await sender.close()
    assert attempt.outcome == "retry" and attempt.error.startswith("timed out")
