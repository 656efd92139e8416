"""Notify's ZENLIX import: e-mail choices and Pushbullet become per-event channels."""

from __future__ import annotations

import orjson

from helpdesk_devstack.testing.zenlix import Source
from helpdesk_kit.db import Database
from helpdesk_notify import zenlix
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.records import NotifyPrefs
from helpdesk_zenlix.report import Report, Tally


async def _import(db: Database, source: Source, *, dry_run: bool = False) -> Report:
    with Reader(source.url) as reader:
        return await zenlix.import_zenlix(db=db, reader=reader, dry_run=dry_run)


def test_an_empty_zenlix_list_means_every_event_by_mail() -> None:
    events = zenlix.events_of(NotifyPrefs(5, None, ()), pushbullet=False, tally=Tally())
    assert all(channels == ["popup", "email"] for channels in events.values())
    assert len(events) == 7


def test_listed_events_are_mailed_the_others_only_pop_up_and_sms_is_counted() -> None:
    tally = Tally()
    events = zenlix.events_of(
        NotifyPrefs(5, ("ticket_ok", "ticket_lock"), ("ticket_ok",)), pushbullet=True, tally=tally
    )
    assert events["ticket.completed"] == ["popup", "email", "pushbullet"]
    assert events["ticket.taken"] == ["popup", "email", "pushbullet"]
    assert events["ticket.created"] == ["popup", "pushbullet"]
    assert tally.changed["SMS choices not carried (no SMS channel)"] == 1


async def test_preferences_come_over_once(db: Database, zenlix: Source) -> None:
    report = await _import(db, zenlix)
    assert report.balanced()
    assert report["preferences"].imported >= zenlix.expected.notify_prefs
    async with db.unit_of_work() as uow:
        rows = await uow.conn.fetch("SELECT user_id, events::text AS events FROM preferences")
    assert len(rows) == report["preferences"].imported
    assert all("ticket.reopened" in orjson.loads(r["events"]) for r in rows)
    again = await _import(db, zenlix)
    assert again["preferences"].imported == 0
    assert again["preferences"].already == report["preferences"].imported


async def test_a_dry_run_writes_nothing(db: Database, zenlix: Source) -> None:
    report = await _import(db, zenlix, dry_run=True)
    assert report["preferences"].imported > 0
    async with db.unit_of_work() as uow:
        assert await uow.conn.fetchval("SELECT count(*) FROM preferences") == 0
