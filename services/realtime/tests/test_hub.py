"""The hub routes each event to its user's sockets only, and a slow socket stalls nobody."""

from __future__ import annotations

import asyncio

import orjson

from helpdesk_realtime.domain import TicketAudience, Viewer
from helpdesk_realtime.hub import Hub


class Socket:
    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[dict[str, object]] = []
        self.delay = delay

    async def send(self, text: str) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(orjson.loads(text))


async def test_a_user_gets_his_events_on_every_socket_and_never_another_users() -> None:
    hub = Hub(queue_size=10)
    anna1, anna2, boris = Socket(), Socket(), Socket()
    conns = [hub.open(1, anna1.send), hub.open(1, anna2.send), hub.open(2, boris.send)]
    pumps = [asyncio.create_task(c.pump()) for c in conns]
    assert hub.deliver(1, {"type": "notification", "id": 7}) == 2
    await asyncio.sleep(0.01)
    for p in pumps:
        p.cancel()
    assert anna1.sent == anna2.sent == [{"type": "notification", "id": 7}]
    assert boris.sent == []


async def test_a_slow_socket_loses_the_overflow_and_is_told_to_resync_while_others_get_everything() -> None:
    hub = Hub(queue_size=3)
    slow, fast = Socket(delay=0.05), Socket()
    slow_conn, fast_conn = hub.open(1, slow.send), hub.open(1, fast.send)
    pumps = [asyncio.create_task(slow_conn.pump()), asyncio.create_task(fast_conn.pump())]
    for i in range(10):
        hub.deliver(1, {"type": "notification", "id": i})
        await asyncio.sleep(0)
    await asyncio.sleep(0.5)
    for p in pumps:
        p.cancel()
    assert [m["id"] for m in fast.sent] == list(range(10))
    assert len(slow.sent) < 10 and slow.sent[-1] == {"type": "resync"}


async def test_a_closed_socket_gets_nothing_more() -> None:
    hub = Hub(queue_size=3)
    s = Socket()
    conn = hub.open(1, s.send)
    hub.close(conn)
    assert hub.deliver(1, {"type": "notification"}) == 0


async def test_a_resume_sends_replayed_then_held_events_each_id_once() -> None:
    hub = Hub(queue_size=10)
    s = Socket()
    conn = hub.open(1, s.send)
    pump = asyncio.create_task(conn.pump())
    hub.deliver_entry(5, 1, [{"type": "notification", "n": 5}])  # live before the resume asked
    await asyncio.sleep(0.01)
    conn.hold()
    hub.deliver_entry(7, 1, [{"type": "notification", "n": 7}])  # live while the replay is read
    replayed = [
        (i, orjson.dumps({"type": "notification", "n": i, "event_id": i}).decode()) for i in (5, 6, 7)
    ]
    assert conn.release(replayed, incomplete=False) == 2
    await asyncio.sleep(0.01)
    pump.cancel()
    assert [m["n"] for m in s.sent] == [5, 6, 7]


async def test_a_viewer_who_may_no_longer_see_the_ticket_stops_getting_its_presence() -> None:
    hub = Hub(queue_size=10)
    member = Viewer(user_id=1, is_client=False, role="unit_member", unit_ids=frozenset({10}))
    conn = hub.open(member, Socket().send)
    hub.view(conn, 41)
    assert hub.viewers_of(41) == [conn]
    forwarded = TicketAudience(  # sent to unit 20 as a whole, written by user 9
        ticket_id=41,
        staff_user_ids=frozenset({9}),
        client_user_ids=frozenset({9}),
        head_unit_ids=frozenset({20}),
        member_unit_ids=frozenset({20}),
    )
    assert hub.deliver_entry(3, forwarded, [{"type": "ticket.updated"}]) == 0
    assert hub.viewers_of(41) == [] and conn.viewing is None
