"""Sockets that cannot be abused: pages of other origins, programs with cookies, floods of
messages, and sockets outliving a revoked session — real replicas, NATS and Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pytest
import websockets
import websockets.exceptions
from helpdesk.identity.v1 import events_pb2 as identity_events
from websockets.typing import Origin

from helpdesk_realtime.domain import Viewer

ORIGIN = "https://desk.example"  # the replicas' public URL (conftest)


def refused_status(exc: pytest.ExceptionInfo[websockets.exceptions.InvalidStatus]) -> int:
    return exc.value.response.status_code


async def test_a_page_of_another_origin_is_refused_even_with_a_valid_token(env: Any, make_token: Any) -> None:
    async with env.replica() as r:
        for origin in ("https://evil.example", "https://desk.example:8443", "null"):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with websockets.connect(r.ws(make_token(1)), origin=Origin(origin)):
                    pass
            assert refused_status(refused) == 403


async def test_a_configured_extra_origin_may_open_the_socket(env: Any, make_token: Any, io: Any) -> None:
    allowed = "https://intranet.example"
    async with (
        env.replica(ws_allowed_origins=f"{allowed}, https://other.example") as r,
        websockets.connect(r.ws(make_token(1)), origin=Origin(allowed)) as ws,
    ):
        assert (await io.recv(ws))["type"] == "hello"


async def test_a_program_without_an_origin_gets_in_only_with_the_authorization_header(
    env: Any, make_token: Any, io: Any
) -> None:
    token = make_token(1)
    async with env.replica() as r:
        plain = f"{r.url}/ws"
        for url, headers in ((r.ws(token), {}), (plain, {"Cookie": f"helpdesk_access={token}"})):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with websockets.connect(url, additional_headers=headers):
                    pass
            assert refused_status(refused) == 403
        async with websockets.connect(plain, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            assert await io.recv(ws) == {"type": "hello", "user_id": 1}


async def test_a_flood_of_messages_is_dropped_and_the_client_is_told_once(
    env: Any, make_token: Any, io: Any
) -> None:
    async with (
        env.replica(rate_socket_frames="5/10 seconds") as r,
        websockets.connect(r.ws(make_token(1)), origin=Origin(ORIGIN)) as ws,
    ):
        await io.recv(ws)  # hello
        for _ in range(20):
            await ws.send('{"type": "ping"}')
        got = await io.drain(ws, quiet=0.5)
    assert [m["type"] for m in got].count("pong") == 5
    [told] = [m for m in got if m["type"] == "error"]
    assert told["code"] == "rate_limited" and 1 <= told["retry_after"] <= 10


async def test_the_per_user_limit_counts_every_socket_of_the_user_on_every_replica(
    env: Any, make_token: Any, io: Any
) -> None:
    limits = {"rate_socket_frames": "100/second", "rate_socket_frames_per_user": "6/minute"}
    async with (
        env.replica(**limits) as r1,
        env.replica(**limits) as r2,
        websockets.connect(r1.ws(make_token(1)), origin=Origin(ORIGIN)) as laptop,
        websockets.connect(r2.ws(make_token(1)), origin=Origin(ORIGIN)) as phone,
        websockets.connect(r2.ws(make_token(2)), origin=Origin(ORIGIN)) as other,
    ):
        for ws in (laptop, phone, other):
            await io.recv(ws)
        for ws in (laptop, phone):
            for _ in range(5):
                await ws.send('{"type": "ping"}')
        await other.send('{"type": "ping"}')
        got = {name: await io.drain(ws) for name, ws in (("laptop", laptop), ("phone", phone))}
        assert await io.recv(other) == {"type": "pong"}  # another user is not limited
    pongs = sum([m["type"] for m in msgs].count("pong") for msgs in got.values())
    assert pongs == 6
    assert any(m["type"] == "error" and m["code"] == "rate_limited" for m in got["phone"])


def viewer_of(token: str) -> Viewer:
    return Viewer.from_claims(jwt.decode(token, options={"verify_signature": False}))


async def test_a_revoked_session_closes_its_sockets_at_once_not_at_the_next_check(
    env: Any, make_token: Any, io: Any
) -> None:
    tokens = {sid: make_token(1, sid=sid) for sid in ("session-a", "session-b")}

    async def active_sessions(ids: list[str]) -> dict[str, Viewer]:
        return {sid: viewer_of(tokens[sid]) for sid in ids if sid in tokens}  # identity would still say so

    async with (
        env.replica(active_sessions=active_sessions, user_check_seconds=600) as r,
        websockets.connect(r.ws(tokens["session-a"]), origin=Origin(ORIGIN)) as laptop,
        websockets.connect(r.ws(tokens["session-b"]), origin=Origin(ORIGIN)) as phone,
    ):
        await io.recv(laptop), await io.recv(phone)
        event = identity_events.SessionRevoked(user_id=1, session_ids=["session-a"], reason="logout")
        await env.publish("identity.SessionRevoked", event, msg_id="s-1")
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(laptop.recv(), timeout=2)
        await phone.send('{"type": "ping"}')
        assert await io.recv(phone) == {"type": "pong"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "session ended"


async def test_a_user_changed_event_closes_a_demoted_or_disabled_users_sockets_at_once(
    env: Any, make_token: Any, io: Any
) -> None:
    admin = make_token(1, sid="session-a", admin=True)
    now = {"session-a": viewer_of(admin), "session-b": viewer_of(make_token(2, sid="session-b"))}

    async def active_sessions(ids: list[str]) -> dict[str, Viewer]:
        return {sid: v for sid, v in now.items() if sid in ids}

    async with (
        env.replica(active_sessions=active_sessions, user_check_seconds=600) as r,
        websockets.connect(r.ws(admin), origin=Origin(ORIGIN)) as demoted,
        websockets.connect(r.ws(make_token(2, sid="session-b")), origin=Origin(ORIGIN)) as disabled,
    ):
        await io.recv(demoted), await io.recv(disabled)
        now["session-a"] = viewer_of(make_token(1, sid="session-a", admin=False))
        await env.publish(
            "identity.UserChanged", identity_events.UserChanged(user_id=1, is_active=True), "u-1"
        )
        await env.publish(
            "identity.UserChanged", identity_events.UserChanged(user_id=2, is_active=False), "u-2"
        )
        reasons = []
        for ws in (demoted, disabled):
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=2)
            assert closed.value.rcvd is not None
            reasons.append(closed.value.rcvd.reason)
    assert reasons == ["rights changed", "user disabled"]
