"""Test doubles of our interfaces and real servers on loopback: an SMTP sink, a Pushbullet API."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from helpdesk_notify.rules import HEAD_ROLES, Person


class Directory:
    """An in-memory identity: the same answers ListUnitMembers/ListUnitHeads/GetUsers give."""

    def __init__(self, people: list[Person]) -> None:
        self._people = {p.id: p for p in people}

    async def unit_members(self, unit_id: int) -> list[Person]:
        return [p for p in self._people.values() if unit_id in p.unit_ids]

    async def unit_heads(self, unit_ids: list[int]) -> list[Person]:
        wanted = set(unit_ids)
        return [p for p in self._people.values() if p.role in HEAD_ROLES and p.unit_ids & wanted]

    async def people(self, ids: list[int]) -> list[Person]:
        return [self._people[i] for i in ids if i in self._people]

    async def client_group_members(self, client_group_id: int) -> list[Person]:
        return [p for p in self._people.values() if p.client_group_id == client_group_id]

    async def staff(self) -> list[Person]:
        return [p for p in self._people.values() if p.role is not None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self._sink.lock:
            self._sink.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping what it receives."""

    port: int = field(default_factory=free_port)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    def __post_init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(r for rcpts, _ in self.messages for r in rcpts)


@dataclass
class FakePushbullet:
    """Speaks ``POST /v2/pushes``: checks the token, answers 429 + Retry-After while asked to."""

    token: str = "o.test-token"
    port: int = field(default_factory=free_port)
    pushes: list[dict[str, Any]] = field(default_factory=list)
    rate_limited_requests: int = 0
    retry_after: str = "1"
    throttled: int = 0

    async def _pushes(self, request: web.Request) -> web.Response:
        if request.headers.get("Access-Token") != self.token:
            return web.json_response({"error": {"type": "invalid_request"}}, status=401)
        if self.rate_limited_requests > 0:
            self.rate_limited_requests -= 1
            self.throttled += 1
            return web.json_response(
                {"error": {"type": "invalid_request", "message": "rate limited"}},
                status=429,
                headers={"Retry-After": self.retry_after},
            )
        push = await request.json()
        self.pushes.append(push)
        return web.json_response({"iden": f"p{len(self.pushes)}", "active": True, **push})

    async def __aenter__(self) -> FakePushbullet:
        app = web.Application()
        app.router.add_post("/v2/pushes", self._pushes)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Links:
    """Stands in for identity's IssueOneTimeLink: a link per purpose, or none when not due."""

    def __init__(self, due: bool = True) -> None:
        self.due = due
        self.asked: list[tuple[str, int]] = []

    async def issue_link(self, *, purpose: str, user_id: int, requested_at: object) -> str:
        self.asked.append((purpose, user_id))
        return f"https://hd.example/{purpose}/link-for-{user_id}" if self.due else ""
