"""Nothing lost, nothing jammed: one bad delivery never blocks the others, an outage
costs a few attempts and loses nothing, dead letters can be replayed once.

Against a real SMTP server (aiosmtpd) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import collections
import uuid

from aiosmtpd.controller import Controller

from helpdesk_kit.db import Database
from helpdesk_notify import store, usecases
from helpdesk_notify.domain import EMAIL, PUSHBULLET
from helpdesk_notify.worker import CIRCUIT_OPEN, ChannelWorker, RetryPolicy, pushbullet_session

from .drive import drain, mail_worker, use_smtp
from .fakes import SmtpSink, eventually, free_port


def _mail(n: int, *, subject: str | None = None) -> store.NewDelivery:
    event_id = f"fact-{uuid.uuid4().hex[:8]}"
    return store.NewDelivery(
        source_event_id=event_id,
        user_id=n,
        channel=EMAIL,
        event="ticket.created",
        address=f"u{n}@example.test",
        payload={
            "subject": subject if subject is not None else f"Ticket #{n} — created",
            "text": "text",
            "html": "<p>html</p>",
            "headers": {"Message-ID": f"<{event_id}.{n}@helpdesk>"},
            "name": f"User {n}",
        },
    )


async def _queue(db: Database, items: list[store.NewDelivery]) -> None:
    async with db.unit_of_work() as uow:
        await store.enqueue(uow.conn, items)
        await uow.commit()


async def _count(db: Database, sql: str) -> int:
    async with db.unit_of_work() as uow:
        value: int = await uow.conn.fetchval(sql)
    return value


def _per_recipient(sink: SmtpSink) -> collections.Counter[str]:
    return collections.Counter(sink.recipients())


async def test_a_mail_that_cannot_be_built_is_dead_lettered_alone_while_the_next_100_go_out_once_each(
    db: Database, smtp: SmtpSink
) -> None:
    await use_smtp(db, smtp.port)
    # The bad one sits inside a transaction's batch, with good mails before and after it.
    await _queue(db, [_mail(1000 + i) for i in range(10)])
    await _queue(db, [_mail(999, subject="Hello\r\nBcc: everyone@example.test")])
    await _queue(db, [_mail(i) for i in range(1, 101)])
    await drain(mail_worker(db, per_transaction=20))
    await drain(mail_worker(db, per_transaction=20))  # a second round finds nothing to resend
    got = _per_recipient(smtp)
    assert set(got.values()) == {1}
    assert len(got) == 110 and "u999@example.test" not in got
    dead = await usecases.dead_letters(db=db, actor_is_admin=True, limit=10, before_id=None)
    assert [d.address for d in dead] == ["u999@example.test"]
    assert "cannot build the message" in dead[0].last_error and dead[0].attempts == 1


async def test_a_temporary_refusal_of_one_recipient_is_retried_and_does_not_hold_up_the_others(
    db: Database,
) -> None:
    class Greylisting:
        def __init__(self) -> None:
            self.refused = 0
            self.got: list[str] = []

        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address == "u2@example.test" and self.refused < 2:
                self.refused += 1
                return "450 mailbox busy, try later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.got += envelope.rcpt_tos
            return "250 OK"

    handler = Greylisting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        await use_smtp(db, controller.port)
        await _queue(db, [_mail(n) for n in (1, 2, 3)])
        # Backoff of 0.5 to 1 s: the refused mailbox is not due again within the first round.
        worker = mail_worker(db, base_seconds=1.0, cap_seconds=1.0)
        await worker.run_once()
        assert sorted(handler.got) == ["u1@example.test", "u3@example.test"]
        assert not worker.circuit.is_open  # the server works: only that mailbox waits
        for _ in range(300):
            await worker.run_once()
            if "u2@example.test" in handler.got:
                break
            await asyncio.sleep(0.05)
    finally:
        controller.stop()
    assert sorted(handler.got) == ["u1@example.test", "u2@example.test", "u3@example.test"]
    assert handler.refused == 2
    assert await _count(db, "SELECT count(*) FROM deliveries WHERE status = 'dead'") == 0


async def test_smtp_down_for_a_while_delivers_everything_once_after_and_dead_letters_nothing(
    db: Database,
) -> None:
    """The 10-minute outage, in seconds: a horizon of 30 s, backoff and pauses in tenths."""
    sink = SmtpSink(port=free_port())  # not started: the server is down
    await use_smtp(db, sink.port)
    await _queue(db, [_mail(n) for n in range(1, 61)])
    worker = mail_worker(
        db,
        horizon_seconds=30.0,
        base_seconds=0.05,
        cap_seconds=0.4,
        circuit_base_seconds=0.05,
        circuit_cap_seconds=0.4,
    )
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(3.0)
        tried = await _count(db, "SELECT count(*) FROM delivery_log WHERE outcome = 'retry'")
        # The circuit pauses the channel after each failed connection: a handful of
        # attempts in 3 s, not every row at full speed.
        assert 0 < tried <= 20
        assert worker.circuit.is_open
        assert CIRCUIT_OPEN.labels(EMAIL)._value.get() == 1
        sink.start()
        await eventually(lambda: len(sink.messages) >= 60, timeout=20)
        await asyncio.sleep(0.5)  # would a duplicate follow?
    finally:
        worker.stop()
        await task
        sink.stop()
    assert set(_per_recipient(sink).values()) == {1} and len(sink.messages) == 60
    assert await _count(db, "SELECT count(*) FROM deliveries WHERE status = 'dead'") == 0
    assert not worker.circuit.is_open and CIRCUIT_OPEN.labels(EMAIL)._value.get() == 0


async def test_a_delivery_still_failing_when_its_horizon_is_over_becomes_a_dead_letter(
    db: Database,
) -> None:
    await use_smtp(db, free_port())  # nobody listens there, ever
    await _queue(db, [_mail(1)])
    worker = mail_worker(
        db, horizon_seconds=0.5, base_seconds=0.05, cap_seconds=0.1, circuit_base_seconds=0.02
    )
    task = asyncio.create_task(worker.run())
    try:

        async def dead() -> bool:
            return await _count(db, "SELECT count(*) FROM deliveries WHERE status = 'dead'") == 1

        deadline = asyncio.get_running_loop().time() + 10
        while not await dead():
            assert asyncio.get_running_loop().time() < deadline, "never given up"
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task
    async with db.unit_of_work() as uow:
        row = await uow.conn.fetchrow(
            "SELECT attempts, last_error, updated_at - first_attempt_at AS tried FROM deliveries"
        )
    assert row["attempts"] >= 2 and "SMTP unavailable" in row["last_error"]
    assert row["tried"].total_seconds() >= 0.5  # not before its horizon


async def test_an_access_token_that_cannot_be_sent_pauses_the_channel_instead_of_looping(
    db: Database,
) -> None:
    # Stored before tokens were checked at input (the settings API refuses it now).
    async with db.unit_of_work() as uow:
        await store.save_settings_section(
            uow.conn,
            "pushbullet",
            {"enabled": True, "access_token": "o.токен", "base_url": "http://127.0.0.1:9"},
        )
        await uow.commit()
    worker = ChannelWorker(
        db=db,
        channel=PUSHBULLET,
        session_factory=pushbullet_session,
        policy=RetryPolicy(),
        circuit_base_seconds=60,
    )
    assert await worker.run_once() == 0
    assert worker.circuit.is_open and worker.circuit.remaining() > 25
    assert CIRCUIT_OPEN.labels(PUSHBULLET)._value.get() == 1


async def test_replaying_a_dead_letter_twice_sends_it_once(db: Database) -> None:
    class RefusesOnce:
        def __init__(self) -> None:
            self.refusing = True
            self.got: list[str] = []

        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if self.refusing:
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.got += envelope.rcpt_tos
            return "250 OK"

    handler = RefusesOnce()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        await use_smtp(db, controller.port)
        await _queue(db, [_mail(1), _mail(2)])
        await drain(mail_worker(db))
        dead = await usecases.dead_letters(db=db, actor_is_admin=True, limit=10, before_id=None)
        assert len(dead) == 2 and handler.got == []
        handler.refusing = False  # the mailbox was created
        one = dead[-1].id
        where = store.DeadFilter(ids=(one,))
        first = await usecases.replay_dead_letters(db=db, actor_is_admin=True, where=where)
        second = await usecases.replay_dead_letters(db=db, actor_is_admin=True, where=where)
        await drain(mail_worker(db))
        third = await usecases.replay_dead_letters(db=db, actor_is_admin=True, where=where)
        await drain(mail_worker(db))
    finally:
        controller.stop()
    assert (first, second, third) == ([one], [], [])
    assert handler.got == ["u1@example.test"]
    left = await usecases.dead_letters(db=db, actor_is_admin=True, limit=10, before_id=None)
    assert [d.address for d in left] == ["u2@example.test"]
    async with db.unit_of_work() as uow:
        log = await store.delivery_log(uow.conn, one)
    assert [o for o, _ in log] == ["dead", "replayed", "sent"]


async def test_replay_by_channel_puts_back_every_dead_mail_and_nothing_else(db: Database) -> None:
    await _queue(db, [_mail(n) for n in (1, 2, 3)])
    async with db.unit_of_work() as uow:
        await uow.conn.execute("UPDATE deliveries SET status = 'dead' WHERE user_id IN (1, 2)")
        await uow.commit()
    replayed = await usecases.replay_dead_letters(
        db=db, actor_is_admin=True, where=store.DeadFilter(channel=EMAIL)
    )
    assert len(replayed) == 2
    assert await _count(db, "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 3
