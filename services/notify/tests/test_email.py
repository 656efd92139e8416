"""Every row of the recipient table (docs/product/notifications.md) end to end: a fact in,
mails out to a real SMTP server (aiosmtpd).

Each test asserts the exact set of mailboxes that received a mail.
"""

from __future__ import annotations

import asyncio

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.identity.v1 import events_pb2 as identity_events
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as t
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit import sealing
from helpdesk_kit.db import Database
from helpdesk_notify import usecases
from helpdesk_notify.consumers import identity_routes, routes, sla_routes

from .conftest import UNIT_A, UNIT_B
from .drive import consume, drain, mail_worker, use_smtp
from .fakes import Directory, Links, SmtpSink, eventually, free_port

AUTHOR = 40


def mailboxes(*ids: int) -> list[str]:
    return sorted(f"u{i}@example.test" for i in ids)


def ticket(**kw: object) -> tickets_pb2.Ticket:
    base: dict[str, object] = {
        "id": 7,
        "number": 1042,
        "ref": "T-1042",
        "subject": "Printer on fire",
        "unit_id": UNIT_A,
        "author_id": AUTHOR,
    }
    return tickets_pb2.Ticket(**(base | kw))  # type: ignore[arg-type]


async def run(db: Database, smtp: SmtpSink, routes_: list, message: object) -> list[str]:  # type: ignore[type-arg]
    await use_smtp(db, smtp.port)
    await consume(db, routes_, message)  # type: ignore[arg-type]
    await drain(mail_worker(db))
    return smtp.recipients()


async def test_created_mails_every_member_of_the_unit_but_the_actor(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(db, smtp, routes(directory), t.TicketCreated(actor_id=12, ticket=ticket()))
    assert got == mailboxes(10, 11, 13)


async def test_forwarded_mails_the_new_assignees_and_their_heads(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    msg = t.TicketForwarded(actor_id=12, ticket=ticket(unit_id=UNIT_B, assignee_ids=[21]), note="yours")
    assert await run(db, smtp, routes(directory), msg) == mailboxes(20, 21)


async def test_taken_mails_the_heads_of_the_actors_units_and_the_author(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    msg = t.TicketTaken(actor_id=13, actor_unit_ids=[UNIT_A, UNIT_B], ticket=ticket(locked_by=13))
    assert await run(db, smtp, routes(directory), msg) == mailboxes(10, 11, 20, AUTHOR)


async def test_released_completed_reopened_follow_the_same_row(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await use_smtp(db, smtp.port)
    for msg in (
        t.TicketReleased(actor_id=21, actor_unit_ids=[UNIT_B], ticket=ticket()),
        t.TicketCompleted(actor_id=21, actor_unit_ids=[UNIT_B], ticket=ticket()),
        t.TicketReopened(actor_id=21, actor_unit_ids=[UNIT_B], ticket=ticket()),
    ):
        await consume(db, routes(directory), msg)
    await drain(mail_worker(db))
    assert smtp.recipients() == sorted(mailboxes(20, AUTHOR) * 3)
    subjects = sorted(str(m["Subject"]) for rcpts, m in smtp.messages if rcpts == ["u20@example.test"])
    assert subjects == [
        "Ticket #1042 — completed",
        "Ticket #1042 — released",
        "Ticket #1042 — reopened",
    ]


async def test_comment_mails_heads_author_earlier_commenters_and_the_handler(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    msg = t.TicketCommented(
        actor_id=21,
        actor_unit_ids=[UNIT_B],
        ticket=ticket(locked_by=12, assignee_ids=[13]),
        comment_id=5,
        comment_body="Have you tried water?",
        previous_commenter_ids=[41, 21],
    )
    assert await run(db, smtp, routes(directory), msg) == mailboxes(20, AUTHOR, 41, 12)


async def test_sla_warning_and_breach_mail_the_heads_of_the_unit_and_the_assignees(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await use_smtp(db, smtp.port)
    due = Timestamp(seconds=1_800_000_000)
    await consume(db, sla_routes(directory), sla_events.SlaWarning(ticket_id=7, unit_id=UNIT_A, due_at=due))
    await consume(
        db, sla_routes(directory), sla_events.SlaBreached(ticket_id=7, unit_id=UNIT_B, assignee_ids=[21])
    )
    await drain(mail_worker(db))
    assert smtp.recipients() == mailboxes(10, 11, 20, 21)


async def test_registration_mails_the_new_user_his_confirmation_link_in_his_language(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    msg = identity_events.UserRegistered(user_id=77, email="new@example.test", language="ru")
    links = Links()
    assert await run(db, smtp, identity_routes(directory, links), msg) == ["new@example.test"]
    assert links.asked == [("confirm", 77)]
    (_, mail), *_ = smtp.messages
    assert mail["Subject"] == "Подтвердите регистрацию"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None and "https://hd.example/confirm/link-for-77" in text.get_content()
    # While it waited in the queue, the link was sealed: a dump of the table shows none.
    stored = await db.pool.fetchval("SELECT payload::text FROM deliveries")
    assert "link-for-77" not in stored and sealing.PREFIX in stored


async def test_password_recovery_mails_the_user_the_one_time_link(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    msg = identity_events.PasswordResetRequested(user_id=41, email="u41@example.test")
    assert await run(db, smtp, identity_routes(directory, Links()), msg) == mailboxes(41)
    (_, mail), *_ = smtp.messages
    assert mail["Subject"] == "Password recovery"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and 'href="https://hd.example/reset/link-for-41"' in html.get_content()


async def test_a_link_no_longer_due_is_not_mailed(db: Database, smtp: SmtpSink, directory: Directory) -> None:
    msg = identity_events.PasswordResetRequested(user_id=41, email="u41@example.test")
    assert await run(db, smtp, identity_routes(directory, Links(due=False)), msg) == []


async def test_mass_mailing_mails_the_picked_users(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await use_smtp(db, smtp.port)
    m = await usecases.create_mailing(
        db=db,
        directory=directory,
        actor_id=99,
        actor_is_admin=True,
        subject_line="Maintenance tonight",
        body="The service stops at 22:00.",
        user_ids=[40, 50],
        unit_ids=[UNIT_B],
        roles=["unit_head", "unit_member"],
        client_group_ids=[],
        public_url="http://hd",
        per_second=0,
    )
    assert m.total == 4  # 50 has no address
    await drain(mail_worker(db))
    assert smtp.recipients() == mailboxes(40, 13, 20, 21)
    done = await usecases.get_mailing(db=db, actor_is_admin=True, mailing_id=m.id)
    assert (done.sent, done.failed) == (4, 0)


async def test_ticket_mail_has_subject_link_thread_headers_and_both_parts(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(
        db, smtp, routes(directory), t.TicketCreated(actor_id=99, ticket=ticket(assignee_ids=[21]))
    )
    assert got == mailboxes(20, 21)
    mails = {rcpts[0]: m for rcpts, m in smtp.messages}
    mail = mails["u21@example.test"]
    assert mail["Subject"] == "Ticket #1042 — created"
    assert mail["From"] == "Helpdesk <helpdesk@example.test>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["References"] == "<ticket-7@helpdesk>"
    assert mail["In-Reply-To"] == "<ticket-7@helpdesk>"
    assert mail["Message-ID"] != mails["u20@example.test"]["Message-ID"]
    # The ticket is named in every Message-ID: a reply keeping only In-Reply-To finds it.
    assert mail["Message-ID"].startswith("<ticket-7.") and mail["Message-ID"].endswith(".21@helpdesk>")
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and "http://localhost:8080/tickets/7" in text.get_content()
    assert html is not None and "Printer on fire" in html.get_content()


async def test_a_russian_speaker_gets_a_russian_subject(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await run(db, smtp, routes(directory), t.TicketCreated(actor_id=12, ticket=ticket()))
    mails = {rcpts[0]: m for rcpts, m in smtp.messages}
    assert mails["u11@example.test"]["Subject"] == "Заявка #1042 — создана"


async def test_a_redelivered_event_never_produces_a_second_mail(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await use_smtp(db, smtp.port)
    msg = t.TicketCreated(actor_id=12, ticket=ticket())
    eid = await consume(db, routes(directory), msg)
    await drain(mail_worker(db))
    await consume(db, routes(directory), msg, event_id=eid)  # past the inbox, straight to the handler
    await drain(mail_worker(db))
    assert smtp.recipients() == mailboxes(10, 11, 13)


async def test_mails_queued_while_smtp_is_down_all_arrive_once_when_it_is_back(
    db: Database, directory: Directory
) -> None:
    sink = SmtpSink(port=free_port())  # not started: the server is down
    await use_smtp(db, sink.port)
    for number in range(1, 31):
        await consume(
            db, routes(directory), t.TicketCreated(actor_id=12, ticket=ticket(id=number, number=number))
        )
    worker = mail_worker(db, base_seconds=0.05, cap_seconds=0.2, horizon_seconds=600)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(1.0)
        async with db.unit_of_work() as uow:
            failed = await uow.conn.fetchval("SELECT count(*) FROM delivery_log WHERE outcome = 'retry'")
        assert failed > 0
        sink.start()
        await eventually(lambda: len(sink.messages) >= 90, timeout=30)
        await asyncio.sleep(0.3)  # would a duplicate follow?
    finally:
        worker.stop()
        await task
        sink.stop()
    assert len(sink.messages) == 90
    ids = [str(m["Message-ID"]) for _, m in sink.messages]
    assert len(set(ids)) == 90


async def test_a_refused_mailbox_becomes_a_dead_letter_admins_can_list(
    db: Database, directory: Directory
) -> None:
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 no such user"

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await use_smtp(db, port)
        await consume(db, routes(directory), t.TicketCreated(actor_id=12, ticket=ticket(assignee_ids=[21])))
        await drain(mail_worker(db))
    finally:
        controller.stop()
    dead = await usecases.dead_letters(db=db, actor_is_admin=True, limit=10, before_id=None)
    assert sorted(d.address for d in dead) == mailboxes(20, 21)
    assert all("550" in d.last_error for d in dead)
