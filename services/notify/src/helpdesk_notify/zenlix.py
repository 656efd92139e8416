"""Notify's part of the ZENLIX 2 import: who wants which notification on which channel.

ZENLIX's ``users_notify.mail`` lists the ticket events a user wants by e-mail (empty:
all of them); pop-ups went to everyone, and Pushbullet to everyone with an address
set. That becomes our per-event channels for the seven ticket events; the SLA events
keep our defaults. SMS choices cannot come (there is no SMS channel) and are counted.
Language and Pushbullet address come from identity's copy of the user. No events.
"""

from __future__ import annotations

import asyncio
import time

from helpdesk_kit import imports
from helpdesk_kit.db import Database
from helpdesk_notify import zenlix_store as zs
from helpdesk_notify.domain import EMAIL, POPUP, PUSHBULLET
from helpdesk_zenlix import decode, records
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report, Tally

SOURCE = zs.SOURCE


def events_of(prefs: records.NotifyPrefs | None, pushbullet: bool, tally: Tally) -> dict[str, list[str]]:
    """Our ``{event: channels}`` for ZENLIX's choices of one user."""
    wanted = None if prefs is None else prefs.mail_events
    if wanted is not None and any(w not in decode.NOTIFY_EVENTS for w in wanted):
        tally.change("unknown e-mail event types ignored")
    if prefs is not None and prefs.sms_events:
        tally.change("SMS choices not carried (no SMS channel)")
    events: dict[str, list[str]] = {}
    for theirs, ours in decode.NOTIFY_EVENTS.items():
        channels = [POPUP]
        if wanted is None or theirs in wanted:
            channels.append(EMAIL)
        if pushbullet:
            channels.append(PUSHBULLET)
        events[ours] = channels
    return events


async def import_zenlix(*, db: Database, reader: Reader, dry_run: bool) -> Report:
    started = time.monotonic()
    report = Report("notify", dry_run)
    tally = report["preferences"]
    users, _ = await asyncio.to_thread(reader.users)
    prefs = {p.user_id: p for p in await asyncio.to_thread(reader.notify_prefs)}
    known = {u.id: u for u in users}
    wanted = sorted(set(prefs) | {u.id for u in users if u.pushbullet})
    tally.read = len(wanted)
    async with db.unit_of_work() as uow:
        done = await imports.marked(uow.conn, SOURCE, "preferences")
        set_here = await zs.users_with_preferences(uow.conn, wanted)
        rows: list[tuple[int, dict[str, list[str]]]] = []
        for user_id in wanted:
            if user_id in done:
                tally.already += 1
            elif user_id not in known:
                tally.skip("the user is not imported")
            elif user_id in set_here:
                tally.skip("the user already chose here")
            else:
                rows.append((user_id, events_of(prefs.get(user_id), bool(known[user_id].pushbullet), tally)))
        await zs.insert_preferences(uow.conn, rows)
        await imports.mark(uow.conn, SOURCE, "preferences", [user_id for user_id, _ in rows])
        tally.imported = len(rows)
        if not dry_run:
            await uow.commit()
    report.seconds = time.monotonic() - started
    return report
