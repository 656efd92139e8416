"""Real WebSocket clients against realtime replicas fed by real NATS, with the journal in Redis."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from typing import Any

import jwt
import pytest
import websockets
import websockets.exceptions
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.notify.v1 import events_pb2 as notify_events
from helpdesk.notify.v1 import notify_pb2
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as ticket_events
from helpdesk.tickets.v1 import tickets_pb2
from websockets.typing import Origin

from helpdesk_realtime.domain import Viewer

_seq = iter(range(1, 1_000_000))
# The replicas' public URL (conftest): the page every browser socket here comes from.
ORIGIN = "https://desk.example"


def browser(url: str, **kw: Any) -> Any:
    """A socket as the web page opens it: from our origin, the token in the URL or cookie."""
    return websockets.connect(url, origin=Origin(ORIGIN), **kw)


def popup(user_id: int, title: str, body: str = "") -> Any:
    n = notify_pb2.Notification(
        id=next(_seq), user_id=user_id, event="ticket.created", title=title, body=body
    )
    n.created_at.CopyFrom(Timestamp(seconds=int(time.time())))
    return notify_events.NotificationCreated(notification=n)


async def send_popup(env: Any, user_id: int, title: str, body: str = "") -> None:
    await env.publish("notify.NotificationCreated", popup(user_id, title, body), msg_id=f"n-{next(_seq)}")


def ticket(ticket_id: int, **kw: Any) -> tickets_pb2.Ticket:
    return tickets_pb2.Ticket(id=ticket_id, number=ticket_id, state=tickets_pb2.STATE_NEW, version=1, **kw)


def audience(**kw: Any) -> ticket_events.TicketAudience:
    """Who may see a ticket, as the tickets service lists it in its events."""
    return ticket_events.TicketAudience(**kw)


N_BIG = 400


def small_buffer_socket(url: str) -> socket.socket:
    """A client socket that holds little unread data, as a slow phone on a bad network."""
    host, port = url.removeprefix("ws://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    return sock


async def drain_all(io: Any, sockets: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    results = await asyncio.gather(*(io.drain(ws) for ws in sockets.values()))
    return dict(zip(sockets, results, strict=True))


def titles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["title"] for m in messages if m["type"] == "notification"]


async def test_a_socket_without_a_valid_token_is_refused(env: Any, make_token: Any) -> None:
    async with env.replica() as r:
        for bad in ("", "not-a-token", make_token(1, ttl=-60)):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with browser(r.ws(bad)) as ws:
                    await ws.recv()
            assert refused.value.response.status_code == 403


async def test_a_user_gets_his_pop_ups_on_every_socket_and_never_another_users(
    env: Any, make_token: Any, io: Any
) -> None:
    async with (
        env.replica() as r,
        browser(r.ws(make_token(1))) as anna1,
        browser(r.ws(make_token(1))) as anna2,
        browser(r.ws(make_token(2))) as boris,
    ):
        for ws, uid in ((anna1, 1), (anna2, 1), (boris, 2)):
            assert await io.recv(ws) == {"type": "hello", "user_id": uid}
        await send_popup(env, 1, "for anna", "Printer on fire")
        await send_popup(env, 2, "for boris")
        a1, a2, b = await io.drain(anna1), await io.drain(anna2), await io.drain(boris)
    assert titles(a1) == titles(a2) == ["for anna"]
    assert a1[0]["body"] == "Printer on fire" and a1[0]["event_id"] == a2[0]["event_id"]
    assert titles(b) == ["for boris"]


async def test_two_replicas_both_deliver_a_users_event_with_the_same_id(
    env: Any, make_token: Any, io: Any
) -> None:
    async with (
        env.replica() as r1,
        env.replica() as r2,
        browser(r1.ws(make_token(1))) as on1,
        browser(r2.ws(make_token(1))) as on2,
    ):
        await io.recv(on1), await io.recv(on2)
        for i in range(3):
            await send_popup(env, 1, f"pop {i}")
        got1, got2 = await io.drain(on1), await io.drain(on2)
    assert titles(got1) == titles(got2) == ["pop 0", "pop 1", "pop 2"]
    ids = [m["event_id"] for m in got1]
    assert ids == [m["event_id"] for m in got2] and ids == sorted(set(ids))


async def test_resume_after_a_disconnect_delivers_the_missed_events_once(
    env: Any, make_token: Any, io: Any
) -> None:
    async with env.replica() as r1, env.replica() as r2:
        async with browser(r1.ws(make_token(1))) as ws:
            await io.recv(ws)
            await send_popup(env, 1, "seen")
            last_seen = (await io.recv(ws))["event_id"]
        # offline: two for anna, one for boris
        await send_popup(env, 1, "missed 1")
        await send_popup(env, 2, "not anna's")
        await send_popup(env, 1, "missed 2")
        await asyncio.sleep(0.2)
        # reconnect to the other replica, then ask for what was missed
        async with browser(r2.ws(make_token(1))) as ws:
            await io.recv(ws)
            await ws.send(f'{{"resume_from": {last_seen}}}')
            resumed = await io.drain(ws)
            await send_popup(env, 1, "live")
            resumed += await io.drain(ws)
            # asking again for the same range sends nothing this socket already has
            await ws.send(f'{{"resume_from": {last_seen}}}')
            again = await io.drain(ws)
    assert titles(resumed) == ["missed 1", "missed 2", "live"]
    assert again == []


async def test_resume_on_the_url_replays_before_live_events_without_duplicates(
    env: Any, make_token: Any, io: Any
) -> None:
    async with env.replica() as r:
        async with browser(r.ws(make_token(1))) as ws:
            await io.recv(ws)
            await send_popup(env, 1, "first")
            first = await io.recv(ws)
        await send_popup(env, 1, "missed")
        await asyncio.sleep(0.1)
        async with browser(r.ws(make_token(1), resume_from=first["event_id"] - 1)) as ws:
            await io.recv(ws)
            await send_popup(env, 1, "live")
            got = await io.drain(ws)
    assert titles(got) == ["first", "missed", "live"]


async def test_resuming_from_further_back_than_is_kept_is_told_to_resync(
    env: Any, make_token: Any, io: Any
) -> None:
    async with env.replica(resume_window_seconds=0.5) as r:
        await send_popup(env, 1, "old")
        await asyncio.sleep(1.0)
        await send_popup(env, 1, "recent")
        await asyncio.sleep(0.1)
        async with browser(r.ws(make_token(1))) as ws:
            await io.recv(ws)
            await ws.send('{"resume_from": 0}')
            got = await io.drain(ws)
            await ws.send('{"resume_from": 999999}')  # newer than anything: the journal was lost
            lost = await io.drain(ws)
    assert got[0] == {"type": "resync"} and titles(got) == ["recent"]
    assert lost == [{"type": "resync"}]


async def test_ticket_changes_reach_only_those_who_may_see_the_ticket(
    env: Any, make_token: Any, io: Any
) -> None:
    people = {
        "member of unit 10": make_token(1, units=[10]),
        "member of unit 20": make_token(2, units=[20]),
        "assignee": make_token(3, units=[20]),
        "head of unit 10": make_token(4, role="unit_head", units=[10]),
        "department head": make_token(5, role="department_head"),
        "author client": make_token(6, kind="client"),
        "other client": make_token(7, kind="client"),
    }
    async with env.replica() as r:
        sockets = {name: await browser(r.ws(tok)) for name, tok in people.items()}
        try:
            for ws in sockets.values():
                await io.recv(ws)
            created = ticket_events.TicketCreated(
                actor_id=6,
                ticket=ticket(41, unit_id=10, author_id=6, client_id=6),
                audience=audience(
                    staff_user_ids=[6], client_user_ids=[6], head_unit_ids=[10], member_unit_ids=[10]
                ),
            )
            await env.publish("tickets.TicketCreated", created, msg_id="t-1")
            got = await drain_all(io, sockets)
            assert {n for n, msgs in got.items() if msgs} == {
                "member of unit 10",
                "head of unit 10",
                "department head",
                "author client",
            }
            assert [m["type"] for m in got["author client"]] == ["ticket.updated"]
            update = got["author client"][0]
            assert update["counts_changed"] is True
            assert (
                update["ticket_id"] == 41 and update["event"] == "TicketCreated" and update["state"] == "new"
            )

            t = ticket(41, unit_id=10, author_id=6, client_id=6, assignee_ids=[3])
            t.state = tickets_pb2.STATE_IN_WORK
            taken = ticket_events.TicketTaken(
                actor_id=3,
                ticket=t,
                audience=audience(staff_user_ids=[3, 6], client_user_ids=[6], head_unit_ids=[10]),
            )
            await env.publish("tickets.TicketTaken", taken, msg_id="t-2")
            got = await drain_all(io, sockets)
            # assigned to one person now: the unit's other members no longer see it
            assert {n for n, msgs in got.items() if msgs} == {
                "assignee",
                "head of unit 10",
                "department head",
                "author client",
            }
            assert got["assignee"][0]["state"] == "in_work"

            warning = sla_events.SlaWarning(ticket_id=41, unit_id=10, assignee_ids=[3])
            await env.publish("sla.SlaWarning", warning, msg_id="s-1")
            await env.publish(
                "tickets.TicketDeleted", ticket_events.TicketDeleted(ticket_id=41), msg_id="t-3"
            )
            got = await drain_all(io, sockets)
            assert next(m.get("reason") for m in got["assignee"] if m["type"] == "counters") == "sla_warning"
            # clients are not told of SLA figures, but of the deletion (from the last known snapshot)
            assert [m["type"] for m in got["author client"]] == ["ticket.updated"]
            assert got["author client"][0]["deleted"] is True
            assert got["member of unit 20"] == got["other client"] == got["member of unit 10"] == []
        finally:
            for ws in sockets.values():
                await ws.close()


async def test_a_resumed_socket_gets_only_the_ticket_changes_it_may_see(
    env: Any, make_token: Any, io: Any
) -> None:
    async with env.replica() as r:
        await env.publish(
            "tickets.TicketCreated",
            ticket_events.TicketCreated(
                actor_id=9,
                ticket=ticket(50, unit_id=10, author_id=9),
                audience=audience(
                    staff_user_ids=[9], client_user_ids=[9], head_unit_ids=[10], member_unit_ids=[10]
                ),
            ),
            msg_id="t-50",
        )
        await env.publish(
            "tickets.TicketCreated",
            ticket_events.TicketCreated(
                actor_id=9,
                ticket=ticket(51, unit_id=20, author_id=9),
                audience=audience(
                    staff_user_ids=[9], client_user_ids=[9], head_unit_ids=[20], member_unit_ids=[20]
                ),
            ),
            msg_id="t-51",
        )
        await asyncio.sleep(0.2)
        async with browser(r.ws(make_token(1, units=[10]), resume_from=0)) as ws:
            await io.recv(ws)
            got = await io.drain(ws)
    assert {m["ticket_id"] for m in got} == {50}


async def test_a_slow_socket_is_told_to_resync_while_a_fast_one_gets_everything(
    env: Any, make_token: Any, io: Any
) -> None:
    async with (
        env.replica(socket_queue_size=8) as r,
        browser(r.ws(make_token(1)), max_queue=1, sock=small_buffer_socket(r.url)) as slow,
        browser(r.ws(make_token(1)), max_size=None) as fast,
    ):
        await io.recv(slow), await io.recv(fast)
        big = base64.b64encode(os.urandom(15_000)).decode()  # 20 kB that deflate cannot shrink
        fast_got: list[dict[str, Any]] = []

        async def read_fast() -> None:
            while len(titles(fast_got)) < N_BIG:
                fast_got.append(await io.recv(fast, timeout=10))

        reading = asyncio.create_task(read_fast())
        for i in range(N_BIG):
            await env.publisher.publish(
                "notify.NotificationCreated",
                popup(1, f"pop {i}", big).SerializeToString(),
                headers={"Nats-Msg-Id": f"big-{i}"},
            )
        await env.publisher.flush()
        await asyncio.wait_for(reading, timeout=30)
        slow_got = await io.drain(slow, quiet=1.0)
    assert titles(fast_got) == [f"pop {i}" for i in range(N_BIG)]
    assert {"type": "resync"} in slow_got and len(titles(slow_got)) < N_BIG


async def test_viewers_of_a_ticket_see_each_other_by_full_name_typing_across_replicas(
    env: Any, make_token: Any, io: Any
) -> None:
    env.access.allowed |= {(1, 7), (2, 7)}
    async with (
        env.replica() as r1,
        env.replica() as r2,
        browser(r1.ws(make_token(1, login="anna", name="Anna Petrova"))) as anna,
        browser(r2.ws(make_token(2, login="boris", name="Boris Ivanov"))) as boris,
        browser(r2.ws(make_token(3, login="carl"))) as carl,
    ):
        for ws in (anna, boris, carl):
            await io.recv(ws)
        await anna.send('{"type": "viewing", "ticket_id": 7}')
        await io.drain(anna)
        await boris.send('{"type": "typing", "ticket_id": 7}')
        anna_sees = await io.drain(anna)
        # carl may not see ticket 7: refused, and told nothing about it
        await carl.send('{"type": "viewing", "ticket_id": 7}')
        carl_sees = await io.drain(carl)
        await boris.send('{"type": "viewing", "ticket_id": null}')
        after_leave = await io.drain(anna)
    assert anna_sees[-1] == {
        "type": "presence",
        "ticket_id": 7,
        "viewers": [
            {"user_id": 1, "login": "anna", "name": "Anna Petrova", "typing": False},
            {"user_id": 2, "login": "boris", "name": "Boris Ivanov", "typing": True},
        ],
    }
    assert carl_sees == [{"type": "error", "detail": "Ticket 7 not found."}]
    assert after_leave[-1]["viewers"] == [
        {"user_id": 1, "login": "anna", "name": "Anna Petrova", "typing": False}
    ]


async def test_staff_see_who_is_online_and_clients_may_not_ask(env: Any, make_token: Any, io: Any) -> None:
    async with (
        env.replica() as r1,
        env.replica() as r2,
        browser(r1.ws(make_token(1))) as anna,
        browser(r2.ws(make_token(2))) as boris,
        browser(r2.ws(make_token(6, kind="client"))) as client,
    ):
        for ws in (anna, boris, client):
            await io.recv(ws)
        await asyncio.sleep(0.6)  # arrivals are marked online within 0.25 s
        await anna.send('{"type": "online"}')
        online = await io.recv(anna)
        await client.send('{"type": "online"}')
        refused = await io.recv(client)
        await asyncio.sleep(0.2)
    assert online == {"type": "online", "user_ids": [1, 2, 6]}
    assert refused["type"] == "error"


async def test_bad_client_messages_get_an_error_and_the_socket_stays_open(
    env: Any, make_token: Any, io: Any
) -> None:
    async with env.replica() as r, browser(r.ws(make_token(1))) as ws:
        await io.recv(ws)
        for bad in (
            "nope",
            "[1]",
            '{"type": "dance"}',
            '{"resume_from": "x"}',
            '{"type": "viewing", "ticket_id": -3}',
        ):
            await ws.send(bad)
            assert (await io.recv(ws))["type"] == "error"
        await ws.send('{"type": "ping"}')
        assert await io.recv(ws) == {"type": "pong"}


async def test_the_socket_is_closed_when_the_token_expires(env: Any, make_token: Any, io: Any) -> None:
    async with env.replica() as r, browser(r.ws(make_token(1, ttl=1))) as ws:
        await io.recv(ws)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "token expired"


async def test_the_sockets_of_a_disabled_user_are_closed(env: Any, make_token: Any, io: Any) -> None:
    active = {1, 2}

    async def active_users(ids: list[int]) -> set[int]:
        return active & set(ids)

    async with (
        env.replica(active_users=active_users, user_check_seconds=0.2) as r,
        browser(r.ws(make_token(1))) as anna,
        browser(r.ws(make_token(2))) as boris,
    ):
        await io.recv(anna), await io.recv(boris)
        active.discard(1)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(anna.recv(), timeout=5)
        await boris.send('{"type": "ping"}')
        assert await io.recv(boris) == {"type": "pong"}
    assert closed.value.rcvd is not None and closed.value.rcvd.reason == "user disabled"


async def test_the_socket_of_a_signed_out_session_is_closed_and_the_other_session_stays(
    env: Any, make_token: Any, io: Any
) -> None:
    tokens = {sid: make_token(1, sid=sid) for sid in ("session-a", "session-b")}
    active = set(tokens)

    async def active_sessions(ids: list[str]) -> dict[str, Viewer]:
        return {sid: viewer_of(tokens[sid]) for sid in active & set(ids)}

    async with (
        env.replica(active_sessions=active_sessions, user_check_seconds=0.2) as r,
        browser(r.ws(tokens["session-a"])) as laptop,
        browser(r.ws(tokens["session-b"])) as phone,
    ):
        await io.recv(laptop), await io.recv(phone)
        active.discard("session-a")  # signed out on the laptop
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(laptop.recv(), timeout=5)
        await phone.send('{"type": "ping"}')
        assert await io.recv(phone) == {"type": "pong"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "session ended"


def viewer_of(token: str) -> Viewer:
    """The user a test token describes (what identity would say of him now)."""
    return Viewer.from_claims(jwt.decode(token, options={"verify_signature": False}))


async def test_the_socket_of_a_user_whose_rights_changed_is_closed_so_he_reconnects_with_the_new_ones(
    env: Any, make_token: Any, io: Any
) -> None:
    admin_token = make_token(1, sid="session-a", admin=True)
    now = {"session-a": viewer_of(admin_token)}

    async def active_sessions(ids: list[str]) -> dict[str, Viewer]:
        return {sid: v for sid, v in now.items() if sid in ids}

    async with (
        env.replica(active_sessions=active_sessions, user_check_seconds=0.2) as r,
        browser(r.ws(admin_token)) as ws,
    ):
        await io.recv(ws)
        await ws.send('{"type": "ping"}')
        assert await io.recv(ws) == {"type": "pong"}
        now["session-a"] = viewer_of(make_token(1, sid="session-a", admin=False))  # demoted
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason == "rights changed"
