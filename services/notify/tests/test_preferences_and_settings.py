"""Preferences per user, channel settings (admin), pop-ups, retry timing."""

from __future__ import annotations

import random

import pytest
from helpdesk.tickets.v1 import events_pb2 as t
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit import sealing
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Forbidden, InvalidInput
from helpdesk_notify import domain, usecases
from helpdesk_notify.consumers import routes

from .conftest import UNIT_A
from .drive import consume, drain, mail_worker, use_smtp
from .fakes import Directory, SmtpSink


def _created(number: int = 5) -> t.TicketCreated:
    ticket = tickets_pb2.Ticket(id=number, number=number, subject="Broken chair", unit_id=UNIT_A)
    return t.TicketCreated(actor_id=12, ticket=ticket)


async def test_defaults_are_every_ticket_event_by_popup_and_email(db: Database) -> None:
    prefs = await usecases.get_preferences(db=db, user_id=10)
    assert prefs.effective()["ticket.commented"] == ("popup", "email")
    assert prefs.effective()["sla.breached"] == ("popup", "email")
    assert (prefs.language, prefs.pushbullet) == ("", "")


async def test_a_user_who_turned_off_email_for_an_event_gets_only_the_popup(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await usecases.update_preferences(
        db=db, user_id=10, events={"ticket.created": ["popup"]}, language=None, pushbullet=None
    )
    await use_smtp(db, smtp.port)
    await consume(db, routes(directory), _created())
    await drain(mail_worker(db))
    assert smtp.recipients() == ["u11@example.test", "u13@example.test"]
    popups = await usecases.list_popups(db=db, user_id=10, limit=10, before_id=None)
    assert [(p.title, p.body) for p in popups] == [("Ticket #5 — created", "Broken chair")]


async def test_a_language_override_changes_the_language_of_mails_and_popups(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await usecases.update_preferences(db=db, user_id=13, events={}, language="ru", pushbullet=None)
    await use_smtp(db, smtp.port)
    await consume(db, routes(directory), _created())
    await drain(mail_worker(db))
    mails = {r[0]: m for r, m in smtp.messages}
    assert mails["u13@example.test"]["Subject"] == "Заявка #5 — создана"
    popups = await usecases.list_popups(db=db, user_id=13, limit=10, before_id=None)
    assert popups[0].title == "Заявка #5 — создана"


async def test_unknown_events_channels_or_languages_are_refused_and_nothing_is_saved(db: Database) -> None:
    with pytest.raises(InvalidInput) as err:
        await usecases.update_preferences(
            db=db,
            user_id=10,
            events={"ticket.created": ["fax"], "ticket.exploded": ["email"]},
            language="de",
            pushbullet=None,
        )
    assert sorted(e.field for e in err.value.errors) == [
        "events.ticket.created",
        "events.ticket.exploded",
        "language",
    ]
    assert (await usecases.get_preferences(db=db, user_id=10)).events == {}


async def test_an_update_changes_only_what_it_names(db: Database) -> None:
    await usecases.update_preferences(
        db=db, user_id=10, events={"ticket.taken": []}, language="ru", pushbullet="me@pb.test"
    )
    prefs = await usecases.update_preferences(
        db=db, user_id=10, events={"sla.warning": ["email"]}, language=None, pushbullet=None
    )
    assert prefs.channels_for("ticket.taken") == ()
    assert prefs.channels_for("sla.warning") == ("email",)
    assert (prefs.language, prefs.pushbullet) == ("ru", "me@pb.test")


async def test_the_mail_password_is_write_only_and_kept_when_not_resent(db: Database) -> None:
    new = usecases.MailSettings(
        enabled=True,
        host="smtp.example.test",
        port=587,
        security="starttls",
        username="hd",
        password="s3cret",
        from_address="helpdesk@example.test",
    )
    saved = await usecases.put_mail_settings(db=db, actor_is_admin=True, new=new, set_password=True)
    assert saved.password == domain.MASK
    again = await usecases.put_mail_settings(
        db=db,
        actor_is_admin=True,
        new=usecases.MailSettings(**(new.__dict__ | {"password": ""})),
        set_password=False,
    )
    assert again.password == domain.MASK
    assert (await usecases.load_mail_settings(db)).password == "s3cret"
    # What a dump of the database shows: the password sealed, never in the clear.
    raw = await db.pool.fetchval("SELECT value::text FROM channel_settings WHERE section = 'mail'")
    assert "s3cret" not in raw and sealing.PREFIX in raw
    shown = await usecases.get_mail_settings(db=db, actor_is_admin=True)
    assert (shown.host, shown.port, shown.security, shown.password) == (
        "smtp.example.test",
        587,
        "starttls",
        "********",
    )


async def test_bad_mail_settings_are_refused(db: Database) -> None:
    with pytest.raises(InvalidInput) as err:
        await usecases.put_mail_settings(
            db=db,
            actor_is_admin=True,
            new=usecases.MailSettings(enabled=True, host="", port=0, security="ssl", from_address="nobody"),
            set_password=False,
        )
    assert sorted(e.field for e in err.value.errors) == ["from_address", "host", "port", "security"]


async def test_only_admins_see_settings_dead_letters_and_mailings(db: Database, directory: Directory) -> None:
    with pytest.raises(Forbidden):
        await usecases.get_mail_settings(db=db, actor_is_admin=False)
    with pytest.raises(Forbidden):
        await usecases.get_pushbullet_settings(db=db, actor_is_admin=False)
    with pytest.raises(Forbidden):
        await usecases.dead_letters(db=db, actor_is_admin=False, limit=10, before_id=None)
    with pytest.raises(Forbidden):
        await usecases.create_mailing(
            db=db,
            directory=directory,
            actor_id=12,
            actor_is_admin=False,
            subject_line="x",
            body="y",
            user_ids=[10],
            unit_ids=[],
            roles=[],
            client_group_ids=[],
            public_url="http://hd",
            per_second=0,
        )


async def test_a_throttled_mailing_spreads_its_mails_and_reports_progress(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    await use_smtp(db, smtp.port)
    m = await usecases.create_mailing(
        db=db,
        directory=directory,
        actor_id=99,
        actor_is_admin=True,
        subject_line="Hello",
        body="World",
        user_ids=[10, 11, 12],
        unit_ids=[],
        roles=[],
        client_group_ids=[],
        public_url="http://hd",
        per_second=0.2,  # one every 5 s
    )
    await drain(mail_worker(db))
    progress = await usecases.get_mailing(db=db, actor_is_admin=True, mailing_id=m.id)
    assert (progress.total, progress.sent) == (3, 1)


async def test_a_popup_is_stored_once_however_often_the_fact_arrives(
    db: Database, directory: Directory
) -> None:
    eid = await consume(db, routes(directory), _created())
    await consume(db, routes(directory), _created(), event_id=eid)
    popups = await usecases.list_popups(db=db, user_id=11, limit=10, before_id=None)
    assert len(popups) == 1


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [domain.retry_delay(n, base=1.0, cap=30.0, rng=rng) for n in range(1, 8)]
    for n, d in enumerate(delays, start=1):
        ceiling = min(30.0, 2.0 ** (n - 1))
        assert ceiling / 2 <= d <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)
