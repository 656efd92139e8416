"""Per-user and per-address rate limits of the API (``ratelimits``): 429 problem+json with
Retry-After, the general limit's RateLimit-* fields on every answer, counted in the real
Redis, whatever the route behind them answers.

The gateway app is real; the services behind it are not running (their routes answer
503), which is enough here: the limit is decided before a route runs. Callers are
signed in with tokens of a test key and a stand-in for identity's session answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.testing.access_tokens import LiveSessions, bearer, keys
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_gateway.ratelimits import RULES
from helpdesk_kit.tokens import TokenVerifier


@contextlib.asynccontextmanager
async def gateway(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        Settings(
            identity_addr=nobody,
            tickets_addr=nobody,
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            grpc_insecure=True,
            **settings,
        )
    )
    app = build_app(clients)
    app.state.verifier = TokenVerifier(keys)
    app.state.session_guard = LiveSessions()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http
    finally:
        await clients.close()


@pytest.fixture
async def fresh_redis(redis_url: str) -> str:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    return redis_url


TICKET = {"subject": "Printer", "body": "On fire", "priority": "high", "unit_id": 1}


async def test_one_ticket_too_many_is_429_with_retry_after_and_other_users_go_on(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_tickets="3/minute") as api:
        codes = [
            (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))).status_code for _ in range(3)
        ]
        assert 429 not in codes  # let through (tickets itself is not running here)
        over = await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))
        assert over.status_code == 429
        assert over.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert "new tickets" in over.json()["detail"]
        assert (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(8))).status_code != 429


async def test_comments_and_uploads_have_limits_of_their_own(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_comments="2/minute", rate_uploads="1/minute") as api:
        comment = {"body": "hello"}
        codes = [
            (await api.post("/api/v1/tickets/5/comments", json=comment, headers=bearer(7))).status_code
            for _ in range(3)
        ]
        assert codes[2] == 429 and 429 not in codes[:2]
        files = {"file": ("a.txt", b"hello", "text/plain")}
        first = await api.post("/api/v1/tickets/5/attachments", files=files, headers=bearer(7))
        second = await api.post("/api/v1/tickets/5/attachments", files=files, headers=bearer(7))
        assert first.status_code != 429 and second.status_code == 429
        # Tickets are counted apart from both.
        assert (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))).status_code != 429


async def test_limits_over_several_periods_all_hold(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_tickets="5/minute;2/hour") as api:
        codes = [
            (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(9))).status_code for _ in range(3)
        ]
        assert codes[2] == 429 and 429 not in codes[:2]


async def test_reset_and_registration_requests_are_limited_per_client_address(fresh_redis: str) -> None:
    async with gateway(
        redis_url=fresh_redis, rate_password_resets="2/hour", rate_registrations="1/hour"
    ) as api:
        codes = [
            (await api.post("/api/v1/auth/password-reset", json={"login_or_email": f"u{i}"})).status_code
            for i in range(3)
        ]
        assert codes[2] == 429 and 429 not in codes[:2]  # each asked for another account
        body = {"email": "a@b.example", "password": "password-1", "full_name": "A"}
        assert (await api.post("/api/v1/auth/register", json=body)).status_code != 429
        over = await api.post("/api/v1/auth/register", json=body)
        assert over.status_code == 429 and int(over.headers["retry-after"]) > 3500


async def test_an_empty_limit_switches_that_limit_off(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_tickets="", rate_comments="1/minute") as api:
        codes = [
            (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))).status_code for _ in range(5)
        ]
        assert 429 not in codes
        for expected in (False, True):
            resp = await api.post("/api/v1/tickets/5/comments", json={"body": "x"}, headers=bearer(7))
            assert (resp.status_code == 429) is expected


async def test_without_redis_or_while_it_is_away_nothing_is_limited(fresh_redis: str) -> None:
    away = f"redis://127.0.0.1:{free_port()}/0"
    for settings in ({}, {"redis_url": away}):
        async with gateway(rate_tickets="1/minute", **settings) as api:
            codes = [
                (await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))).status_code
                for _ in range(3)
            ]
            assert 429 not in codes, settings


def test_a_malformed_limit_stops_the_start_with_its_name() -> None:
    with pytest.raises(ValueError, match="rate_uploads"):
        Settings(
            identity_addr="x",
            tickets_addr="x",
            sla_addr="x",
            notify_addr="x",
            portal_addr="x",
            rate_uploads="lots",
        )


async def test_every_limited_route_is_served_and_the_document_declares_the_quota_and_429() -> None:
    async with gateway() as api:
        spec = (await api.get("/api/v1/openapi.json")).json()
    served = {(verb.upper(), path) for path, ops in spec["paths"].items() for verb in ops}
    assert set(RULES) <= served, set(RULES) - served
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for verb, op in ops.items():
            assert "429" in op["responses"], (verb, path)
            for status, answer in op["responses"].items():
                assert "RateLimit-Remaining" in answer.get("headers", {}), (verb, path, status)


async def test_every_answer_says_the_quota_left_and_it_goes_down(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_api="5/minute") as api:
        answers = [await api.get("/api/v1/tickets", headers=bearer(7)) for _ in range(3)]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["4", "3", "2"]
        assert {a.headers["ratelimit-limit"] for a in answers} == {"5"}
        assert all(1 <= int(a.headers["ratelimit-reset"]) <= 60 for a in answers)
        # Errors carry them too (tickets is not running: 503), and so does a bad query (422).
        assert answers[0].status_code == 503
        bad = await api.get("/api/v1/tickets?limit=0", headers=bearer(7))
        assert bad.status_code == 422 and bad.headers["ratelimit-remaining"] == "1"
        # Another user has his own quota; a caller without a token is counted by address.
        assert (await api.get("/api/v1/tickets", headers=bearer(8))).headers["ratelimit-remaining"] == "4"
        assert (await api.get("/api/v1/tickets")).headers["ratelimit-remaining"] == "4"


async def test_over_the_general_limit_is_429_with_retry_after_and_an_empty_quota(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_api="2/minute") as api:
        for _ in range(2):
            await api.get("/api/v1/tickets", headers=bearer(7))
        over = await api.get("/api/v1/tickets", headers=bearer(7))
        assert over.status_code == 429
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert over.headers["ratelimit-remaining"] == "0"
        assert over.headers["ratelimit-reset"] == over.headers["retry-after"]


async def test_the_quota_shown_is_the_limit_closest_to_running_out(fresh_redis: str) -> None:
    async with gateway(redis_url=fresh_redis, rate_api="100/minute", rate_tickets="3/minute") as api:
        answer = await api.post("/api/v1/tickets", json=TICKET, headers=bearer(7))
        assert (answer.headers["ratelimit-limit"], answer.headers["ratelimit-remaining"]) == ("3", "2")
