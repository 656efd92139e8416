"""Mail from a real IMAP server (dovecot) to tickets and comments, through the pollers."""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage

import pytest

from helpdesk_devstack.servers.dovecot import Dovecot
from helpdesk_kit.db import Database
from helpdesk_mailin import store, usecases
from helpdesk_mailin.usecases import Intake

from .conftest import new_mailbox, poll, poller, sample
from .fakes import AppErrorFactory, Crash, FakePeers


def folder(dovecot: Dovecot, login: str, name: str = "INBOX") -> dict[int, set[bytes]]:
    """UID → flags of the messages in a folder."""
    with dovecot.client(login) as c:
        if not c.folder_exists(name):
            return {}
        c.select_folder(name, readonly=True)
        return {uid: set(d[b"FLAGS"]) for uid, d in c.fetch(c.search("ALL"), ["FLAGS"]).items()}


async def test_a_new_mail_becomes_a_ticket_and_is_flagged_processed(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    anna = peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot, assignee_ids=(7,), priority="high")
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    assert await poll(db, intake, dovecot, box) == 1
    [ticket] = peers.tickets.values()
    assert ticket.author_id == anna.user_id and ticket.draft.subject == "Printer does not print"
    assert "paper jam" in ticket.draft.body and ticket.draft.unit_id == 10
    assert ticket.draft.assignee_ids == (7,) and ticket.draft.priority == "high"
    [flags] = folder(dovecot, box.settings.login).values()
    assert {b"\\Seen", b"$Helpdesk"} <= flags
    # The next round finds nothing new.
    assert await poll(db, intake, dovecot, box) == 0
    assert len(peers.tickets) == 1
    async with db.unit_of_work() as uow:
        row = await store.mailboxes.mailbox(uow.conn, box.id)
    assert row is not None and row.counts["ingested"] == 1 and row.last_poll_at is not None


async def test_a_reply_to_a_notification_becomes_a_comment_on_its_ticket_but_not_from_a_stranger(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    anna = peers.add_user("anna@client.example")
    peers.add_user("mallory@evil.example")
    box = await new_mailbox(db, dovecot, unknown_senders="refuse")
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    await poll(db, intake, dovecot, box)
    [ticket_id] = peers.tickets
    reply = sample("gmail_reply.eml", ticket=ticket_id, user=anna.user_id)
    dovecot.append(box.settings.login, reply)
    # The same reply, sent by someone who may not see the ticket.
    stranger = reply.replace(b"anna@client.example", b"mallory@evil.example").replace(
        b"CAgmail-1", b"CAgmail-2"
    )
    dovecot.append(box.settings.login, stranger)
    await poll(db, intake, dovecot, box)
    ticket = peers.tickets[ticket_id]
    assert [(author, body) for _, author, body, _ in ticket.comments] == [
        (anna.user_id, "Great, waiting for you.")
    ]
    # The stranger's mail became a ticket of his own, never a comment on Anna's.
    assert len(peers.tickets) == 2
    assert next(t for t in peers.tickets.values() if t.id != ticket_id).draft.subject.startswith("Re: Ticket")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("outlook_reply.eml", "It works again, thank you!\n\nAnna"),
        ("outlook_reply_ru.eml", "Да, можно закрывать."),
        ("thunderbird_reply_ru.eml", "Спасибо, всё заработало."),
    ],
)
async def test_replies_of_each_client_lose_their_quoted_history(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers, name: str, expected: str
) -> None:
    anna = peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    await poll(db, intake, dovecot, box)
    [ticket_id] = peers.tickets
    dovecot.append(box.settings.login, sample(name, ticket=ticket_id, user=anna.user_id))
    await poll(db, intake, dovecot, box)
    assert [body for _, _, body, _ in peers.tickets[ticket_id].comments] == [expected]


@pytest.mark.parametrize("name", ["auto_reply.eml", "bounce_dsn.eml", "mail_loop.eml"])
async def test_auto_replies_bounces_and_loops_are_dropped(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers, name: str
) -> None:
    peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot, unknown_senders="create_client")
    dovecot.append(box.settings.login, sample(name, ticket=5, user=1))
    await poll(db, intake, dovecot, box)
    assert peers.tickets == {} and peers.refusals == {}
    async with db.unit_of_work() as uow:
        row = await store.mailboxes.mailbox(uow.conn, box.id)
    assert row is not None and row.counts["dropped"] == 1
    [flags] = folder(dovecot, box.settings.login).values()
    assert b"$Helpdesk" in flags  # processed: not read again


async def test_a_sender_over_his_rate_is_dropped(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    for n in range(7):
        raw = sample("multipart_alternative.eml").replace(b"<alt-1@", f"<alt-{n}-flood@".encode())
        dovecot.append(box.settings.login, raw)
    await poll(db, intake, dovecot, box)
    assert len(peers.tickets) == 5  # the limit in conftest: 5 an hour


async def test_unknown_senders_are_refused_once_or_get_a_client_or_an_anonymous_ticket(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    refusing = await new_mailbox(db, dovecot, unknown_senders="refuse")
    for n in range(2):
        raw = sample("koi8r.eml").replace(b"<koi8-1@", f"<koi8-{n}@".encode())
        dovecot.append(refusing.settings.login, raw)
    await poll(db, intake, dovecot, refusing)
    assert peers.tickets == {}
    assert list(peers.refusals.values()) == [("petr@client.example", "unknown_sender")]  # one a day

    creating = await new_mailbox(db, dovecot, unknown_senders="create_client")
    dovecot.append(creating.settings.login, sample("windows1251.eml"))
    await poll(db, intake, dovecot, creating)
    [ticket] = peers.tickets.values()
    assert peers.users["ivan@client.example"].user_id == ticket.author_id
    assert ticket.draft.subject == "Сломался монитор" and "Монитор в кабинете 12" in ticket.draft.body

    anonymous = await new_mailbox(db, dovecot, unknown_senders="anonymous")
    dovecot.append(anonymous.settings.login, sample("html_only.eml"))
    await poll(db, intake, dovecot, anonymous)
    anon = next(t for t in peers.tickets.values() if t.id != ticket.id)
    assert anon.author_id == peers.users["anonymous@mailin.invalid"].user_id
    assert anon.draft.body.startswith("**From / От:** Boris B. <boris@client.example>")
    assert (
        "alert" not in anon.draft.body and "**VPN**" in anon.draft.body and "- Windows 11" in anon.draft.body
    )


async def test_files_within_the_limits_are_kept_and_the_rest_listed(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    dovecot.append(box.settings.login, sample("attachment_too_large.eml"))
    await poll(db, intake, dovecot, box)
    [ticket] = peers.tickets.values()
    assert [name for _, name, _ in ticket.files] == ["screen.png"]
    [(_, _, note, _)] = ticket.comments
    assert "huge-log.pdf: larger than 2097152 bytes" in note


async def test_the_files_of_a_reply_go_with_its_comment_and_those_of_a_new_mail_with_the_ticket(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    anna = peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    dovecot.append(box.settings.login, sample("attachment_too_large.eml"))
    await poll(db, intake, dovecot, box)
    [ticket] = peers.tickets.values()
    [(screen_id, _, _)] = ticket.files
    reply = EmailMessage()
    reply["From"] = "Anna Client <anna@client.example>"
    reply["To"] = box.settings.login
    reply["Subject"] = f"Re: [#{ticket.id}] Printer does not print"
    reply["Message-ID"] = "<reply-with-file@client.example>"
    reply.set_content("The log you asked for.")
    reply.add_attachment(b"%PDF-1.4 small log", maintype="application", subtype="pdf", filename="log.pdf")
    dovecot.append(box.settings.login, reply.as_bytes())

    await poll(db, intake, dovecot, box)

    _, author, body, files = ticket.comments[-1]
    assert (author, body) == (anna.user_id, "The log you asked for.")
    [(log_id, name, _)] = [f for f in ticket.files if f[0] in files]
    assert name == "log.pdf" and log_id in peers.comment_files  # uploaded for the comment
    assert screen_id not in peers.comment_files  # the new mail's file stays the ticket's


async def test_a_mail_that_cannot_be_filed_is_quarantined_listed_and_retried(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    peers.add_user("petr@client.example")
    box = await new_mailbox(db, dovecot)
    peers.fail_create = AppErrorFactory()
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    dovecot.append(box.settings.login, sample("koi8r.eml"))  # polling goes on after the bad one
    await poll(db, intake, dovecot, box)
    assert folder(dovecot, box.settings.login) == {}
    assert len(folder(dovecot, box.settings.login, "Quarantine")) == 2
    listed = await usecases.list_quarantine(db=db, is_admin=True, mailbox_id=box.id, limit=10, before_id=None)
    assert all(m.reason.startswith("InvalidInput: The ticket is not valid.") for m in listed)
    assert all(m.has_raw for m in listed)
    peers.fail_create = None  # the cause fixed (e.g. the unit exists again)
    anna_mail = next(m for m in listed if m.sender == "anna@client.example")
    outcome = await usecases.retry_quarantined(db=db, intake=intake, is_admin=True, message_id=anna_mail.id)
    assert outcome.kind == "ticket" and outcome.ticket_id in peers.tickets
    remaining = await usecases.list_quarantine(
        db=db, is_admin=True, mailbox_id=box.id, limit=10, before_id=None
    )
    assert [m.id for m in remaining] == [m.id for m in listed if m.id != anna_mail.id]


async def test_a_poller_killed_between_the_ticket_and_the_flag_files_one_ticket_after_restart(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    peers.crash_after_create = True
    with pytest.raises(Crash):
        await poll(db, intake, dovecot, box)
    [flags] = folder(dovecot, box.settings.login).values()
    assert b"$Helpdesk" not in flags  # it died before marking the mail
    assert await poll(db, intake, dovecot, box) == 1  # the restarted poller takes it again
    assert len(peers.tickets) == 1
    [flags] = folder(dovecot, box.settings.login).values()
    assert b"$Helpdesk" in flags


async def test_a_new_uidvalidity_does_not_file_the_same_mail_twice(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    box = await new_mailbox(db, dovecot)
    dovecot.append(box.settings.login, sample("multipart_alternative.eml"))
    await poll(db, intake, dovecot, box)
    async with db.unit_of_work() as uow:  # as if the server had rebuilt the folder
        await uow.conn.execute("UPDATE mailboxes SET uidvalidity = 1 WHERE id = $1", box.id)
        await uow.commit()
    await poll(db, intake, dovecot, box)
    assert len(peers.tickets) == 1


async def test_a_mailbox_that_cannot_sign_in_records_its_error_and_the_others_go_on(
    db: Database, dovecot: Dovecot, intake: Intake, peers: FakePeers
) -> None:
    peers.add_user("anna@client.example")
    broken = await new_mailbox(db, dovecot, password="wrong-password")
    good = await new_mailbox(db, dovecot, security="starttls", port=dovecot.port)
    dovecot.append(good.settings.login, sample("multipart_alternative.eml"))
    bad_poller, good_poller = poller(db, intake, dovecot, broken, "a"), poller(db, intake, dovecot, good, "b")
    tasks = [asyncio.create_task(bad_poller.run()), asyncio.create_task(good_poller.run())]
    for _ in range(100):
        await asyncio.sleep(0.1)
        async with db.unit_of_work() as uow:
            bad = await store.mailboxes.mailbox(uow.conn, broken.id)
        if peers.tickets and bad is not None and bad.last_error:
            break
    bad_poller.stop()
    good_poller.stop()
    await asyncio.gather(*tasks)
    assert len(peers.tickets) == 1
    assert (
        bad is not None and "AUTHENTICATIONFAILED" in bad.last_error.upper()
    ) or "auth" in bad.last_error.lower()


async def test_one_replica_at_a_time_holds_a_mailbox(db: Database, dovecot: Dovecot) -> None:
    box = await new_mailbox(db, dovecot)
    async with db.unit_of_work() as uow:
        assert await store.mailboxes.claim_lease(uow.conn, box.id, "replica-1", 30)
        assert not await store.mailboxes.claim_lease(uow.conn, box.id, "replica-2", 30)
        assert await store.mailboxes.claim_lease(uow.conn, box.id, "replica-1", 30)  # renewal
        await store.mailboxes.release_lease(uow.conn, box.id, "replica-1")
        assert await store.mailboxes.claim_lease(uow.conn, box.id, "replica-2", 30)


async def test_a_poller_waiting_in_imap_idle_stops_within_seconds(
    db: Database, dovecot: Dovecot, intake: Intake
) -> None:
    # IDLE between rounds lasts up to a third of the lease (10 s here): stopping must not
    # wait for its end (a stopping process would be killed first, on a machine as in a pod).
    box = await new_mailbox(db, dovecot)
    idling = poller(db, intake, dovecot, box, poll_seconds=60)
    task = asyncio.create_task(idling.run())
    for _ in range(100):
        await asyncio.sleep(0.1)
        async with db.unit_of_work() as uow:
            row = await store.mailboxes.mailbox(uow.conn, box.id)
        if row is not None and row.idle:
            break
    assert row is not None and row.idle, "dovecot offers IDLE: the poller should be idling"
    await asyncio.sleep(1.0)  # well inside the IDLE
    began = time.monotonic()
    idling.stop()
    await asyncio.wait_for(task, timeout=30)
    assert time.monotonic() - began < 5


async def test_a_backlog_longer_than_the_lease_keeps_the_mailbox_from_another_replica(
    db: Database, dovecot: Dovecot, intake: Intake
) -> None:
    # A 1 s lease (the service's is 90 s, and ~20 mails a second make a backlog of a few
    # thousand outlast it): the round must renew it as it goes.
    lease = 1.0
    # Enough that even a quiet, fast machine takes well over two leases (400 took 1.4 s).
    mails = 1200
    box = await new_mailbox(db, dovecot)
    with dovecot.client(box.settings.login) as c:
        for n in range(mails):  # strangers: each refused, a round trip per mail as for a ticket
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = f"s{n}@stranger.example", box.settings.login, f"Mail {n}"
            m["Message-ID"] = f"<backlog-{n}-{box.id}@stranger.example>"
            m.set_content("Hello")
            c.append("INBOX", m.as_bytes())
    reader = poller(db, intake, dovecot, box, "replica-1", lease_seconds=lease)
    task = asyncio.create_task(reader.run())
    taken_by_rival, began = False, time.monotonic()
    while not taken_by_rival:
        await asyncio.sleep(0.2)
        async with db.unit_of_work() as uow:
            row = await store.mailboxes.mailbox(uow.conn, box.id)
            assert row is not None
            if sum(row.counts.values()) >= mails:
                break
            taken_by_rival = await store.mailboxes.claim_lease(uow.conn, box.id, "replica-2", lease)
            await uow.commit()
    elapsed = time.monotonic() - began
    reader.stop()
    await asyncio.wait_for(task, timeout=30)
    assert not taken_by_rival
    assert elapsed > 2 * lease, "the backlog should outlast the lease for this test to mean anything"
