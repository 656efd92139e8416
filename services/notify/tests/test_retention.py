"""Retention of notify's rows against real PostgreSQL and a real SMTP sink: delivered mails
and their log after 30 days (a mailing still counts them), pop-ups by age, read ones
sooner; dead deliveries stay until replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_kit.db import Database
from helpdesk_kit.retention import Pruner, RetentionSettings
from helpdesk_notify import store, usecases

from .conftest import UNIT_A
from .drive import drain, mail_worker, use_smtp
from .fakes import Directory, SmtpSink

NOW = datetime.now(UTC)


def pruner(db: Database) -> Pruner:
    settings = RetentionSettings()
    rules = usecases.retention_rules(settings, delivered_days=30, read_popups_days=90, unread_popups_days=365)
    return Pruner(db=db, service="notify", rules=rules, settings=settings)


async def mailing(db: Database, directory: Directory, subject: str) -> store.MailingRow:
    return await usecases.create_mailing(
        db=db,
        directory=directory,
        actor_id=30,
        actor_is_admin=True,
        subject_line=subject,
        body="Body",
        user_ids=[],
        unit_ids=[UNIT_A],
        roles=[],
        client_group_ids=[],
        public_url="http://helpdesk.test",
        per_second=0,
    )


async def test_mails_sent_a_month_ago_go_with_their_log_and_the_mailing_still_counts_them(
    db: Database, directory: Directory, smtp: SmtpSink
) -> None:
    await use_smtp(db, smtp.port)
    old = await mailing(db, directory, "Old news")
    new = await mailing(db, directory, "Fresh news")
    await drain(mail_worker(db))
    assert len(smtp.recipients()) == old.total + new.total
    await db.pool.execute(
        "UPDATE deliveries SET sent_at = $1 WHERE mailing_id = $2", NOW - timedelta(days=31), old.id
    )
    old_ids = [
        r["id"] for r in await db.pool.fetch("SELECT id FROM deliveries WHERE mailing_id = $1", old.id)
    ]

    counted = await pruner(db).prune_once(now=NOW)

    assert counted["delivered_notifications"] == 2 * old.total  # the deliveries and one log row each
    left = await db.pool.fetchval("SELECT count(*) FROM deliveries WHERE mailing_id = $1", old.id)
    logs = await db.pool.fetchval("SELECT count(*) FROM delivery_log WHERE delivery_id = ANY($1)", old_ids)
    assert (left, logs) == (0, 0)
    assert (
        await db.pool.fetchval("SELECT count(*) FROM deliveries WHERE mailing_id = $1", new.id) == new.total
    )
    report = await usecases.get_mailing(db=db, actor_is_admin=True, mailing_id=old.id)
    assert (report.total, report.sent, report.failed) == (old.total, old.total, 0)


async def test_dead_deliveries_stay_however_old_until_replayed_and_sent(
    db: Database, directory: Directory, smtp: SmtpSink
) -> None:
    await use_smtp(db, smtp.port)
    sent = await mailing(db, directory, "Gone wrong")
    await drain(mail_worker(db))
    await db.pool.execute(
        "UPDATE deliveries SET status = 'dead', sent_at = NULL, updated_at = $1 WHERE mailing_id = $2",
        NOW - timedelta(days=400),
        sent.id,
    )

    assert (await pruner(db).prune_once(now=NOW))["delivered_notifications"] == 0
    dead = await usecases.dead_letters(db=db, actor_is_admin=True, limit=50, before_id=None)
    assert len(dead) == sent.total


async def popup_ids(db: Database) -> list[int]:
    return [r["id"] for r in await db.pool.fetch("SELECT id FROM notifications ORDER BY id")]


async def test_pop_ups_go_by_age_read_ones_after_90_days_unread_ones_after_a_year(db: Database) -> None:
    made = {}
    for name, age_days, read in (
        ("read-old", 91, True),
        ("read-recent", 89, True),
        ("unread-91", 91, False),
        ("unread-old", 366, False),
    ):
        async with db.unit_of_work() as uow:
            [popup] = await store.insert_popups(
                uow.conn,
                user_ids=[12],
                source_event_id=name,
                event="ticket_created",
                title=name,
                body="",
                ticket_id=None,
            )
            await uow.commit()
        made[name] = popup.id
        if read:
            await usecases.mark_read(db=db, user_id=12, popup_id=popup.id)
        await db.pool.execute(
            "UPDATE notifications SET created_at = $1 WHERE id = $2", NOW - timedelta(days=age_days), popup.id
        )

    counted = await pruner(db).prune_once(now=NOW)

    assert (counted["read_popups"], counted["unread_popups"]) == (1, 1)
    assert await popup_ids(db) == [made["read-recent"], made["unread-91"]]
