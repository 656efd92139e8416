"""Pushbullet against a local HTTP server speaking its API: notes, token, 429 with Retry-After."""

from __future__ import annotations

import time

from helpdesk.tickets.v1 import events_pb2 as t
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.db import Database
from helpdesk_notify import store, usecases
from helpdesk_notify.consumers import routes
from helpdesk_notify.domain import PUSHBULLET
from helpdesk_notify.worker import ChannelWorker, RetryPolicy, pushbullet_session

from .conftest import UNIT_B
from .drive import consume
from .fakes import Directory, FakePushbullet


async def _configure(db: Database, fake: FakePushbullet, token: str | None = None) -> None:
    await usecases.put_pushbullet_settings(
        db=db,
        actor_is_admin=True,
        new=usecases.PushbulletSettings(enabled=True, access_token=token or fake.token, base_url=fake.url),
        set_access_token=True,
    )


async def _opt_in(db: Database, user_id: int, address: str) -> None:
    await usecases.update_preferences(
        db=db,
        user_id=user_id,
        events={"ticket.created": ["popup", "pushbullet"]},
        language=None,
        pushbullet=address,
    )


def _worker(db: Database) -> ChannelWorker:
    return ChannelWorker(
        db=db,
        channel=PUSHBULLET,
        session_factory=pushbullet_session,
        policy=RetryPolicy(base_seconds=0.01, cap_seconds=0.05),
    )


def _created() -> t.TicketCreated:
    ticket = tickets_pb2.Ticket(id=7, number=1042, subject="Printer on fire", unit_id=UNIT_B)
    return t.TicketCreated(actor_id=99, ticket=ticket)


async def test_only_users_with_a_pushbullet_address_get_a_note_with_title_and_link(
    db: Database, directory: Directory
) -> None:
    async with FakePushbullet() as fake:
        await _configure(db, fake)
        await _opt_in(db, 21, "phone21@example.test")
        await _opt_in(db, 20, "")  # wants pushes but has no address
        await _opt_in(db, 13, "ujpah72o0sjAoRtnM0jc")  # a device iden
        await consume(db, routes(directory), _created())
        await _worker(db).run_once()
    notes = sorted(fake.pushes, key=lambda p: p.get("email", ""))
    assert notes == [
        {
            "type": "note",
            "title": "Ticket #1042 — created",
            "body": "Printer on fire\nhttp://localhost:8080/tickets/7",
            "device_iden": "ujpah72o0sjAoRtnM0jc",
        },
        {
            "type": "note",
            "title": "Ticket #1042 — created",
            "body": "Printer on fire\nhttp://localhost:8080/tickets/7",
            "email": "phone21@example.test",
        },
    ]


async def test_a_429_pauses_the_channel_for_retry_after_then_the_push_goes_once(
    db: Database, directory: Directory
) -> None:
    async with FakePushbullet(rate_limited_requests=1, retry_after="1") as fake:
        await _configure(db, fake)
        await _opt_in(db, 21, "phone21@example.test")
        await consume(db, routes(directory), _created())
        worker = _worker(db)
        started = time.monotonic()
        await worker.run_once()
        assert fake.pushes == [] and fake.throttled == 1
        await worker.run_once()  # too early: Retry-After not over, nothing is due
        assert fake.throttled == 1 and fake.pushes == []
        while not fake.pushes and time.monotonic() - started < 5:
            await worker.run_once()
        waited = time.monotonic() - started
    assert len(fake.pushes) == 1
    assert waited >= 0.9
    async with db.unit_of_work() as uow:
        (d,) = await uow.conn.fetch(
            "SELECT id, attempts, status FROM deliveries WHERE channel = 'pushbullet'"
        )
        log = await store.delivery_log(uow.conn, d["id"])
    assert d["status"] == "sent"
    assert [o for o, _ in log] == ["retry", "sent"]
    assert d["attempts"] == 1  # the rate limit was not counted as a failed attempt


async def test_a_rejected_token_leaves_a_dead_letter(db: Database, directory: Directory) -> None:
    async with FakePushbullet() as fake:
        await _configure(db, fake, token="o.wrong")
        await _opt_in(db, 21, "phone21@example.test")
        await consume(db, routes(directory), _created())
        await _worker(db).run_once()
    dead = await usecases.dead_letters(db=db, actor_is_admin=True, limit=10, before_id=None)
    assert [(d.channel, d.address) for d in dead] == [(PUSHBULLET, "phone21@example.test")]
    assert "401" in dead[0].last_error
