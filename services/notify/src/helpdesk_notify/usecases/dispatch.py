"""Dispatch: a fact (a ``Notice``), its id and its recipients become pop-ups and queued
deliveries in the consumer's own transaction, so the inbox row, the pop-ups and the
queued mail commit together or not at all, and a redelivered fact adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain, events, rules, store, templates
from helpdesk_notify.domain import EMAIL, POPUP, PUSHBULLET
from helpdesk_notify.store import Popup
from helpdesk_notify.templates import Notice
from helpdesk_notify.usecases.preferences import preferences_from_row

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    popups: list[Popup]
    queued: int


def _popup_body(notice: Notice) -> str:
    if notice.event == "mailing":
        return notice.body
    return notice.post_title or notice.ticket_subject or notice.detail


async def _store_popups(
    uow: UnitOfWork, event_id: str, notice: Notice, titles: dict[int, str]
) -> list[Popup]:
    """Every recipient's pop-up in one statement, whatever their number, each announced
    (``NotificationCreated``, for realtime) in the recipients' order."""
    if not titles:
        return []
    popups = await store.insert_popups(
        uow.conn,
        user_ids=list(titles),
        source_event_id=event_id,
        event=notice.event,
        title=list(titles.values()),
        body=_popup_body(notice),
        ticket_id=notice.ticket_id or None,
    )
    for popup in popups:
        await uow.record_event(*events.notification_created(popup))
    return popups


async def dispatch(
    *,
    uow: UnitOfWork,
    directory: rules.Directory,
    event_id: str,
    notice: Notice,
    recipients: Iterable[int],
    public_url: str,
    known: dict[int, rules.Person] | None = None,
    mailing_id: int | None = None,
    mail_interval: float = 0.0,
) -> Outcome:
    """Pop-ups now, mails and pushes queued, each as the recipient's preferences say.

    ``known``: people the event itself describes (a new user's e-mail and language),
    used instead of asking the directory.
    """
    ids = sorted(set(recipients))
    if not ids:
        return Outcome([], 0)
    people = dict(known or {})
    missing = [i for i in ids if i not in people]
    if missing:
        people |= {p.id: p for p in await directory.people(missing)}
    prefs_rows = await store.preferences_of(uow.conn, ids)
    popup_titles: dict[int, str] = {}  # user → title, in his language
    by_language: dict[str, templates.Rendered] = {}
    queued: list[store.NewDelivery] = []
    for user_id in ids:
        person = people.get(user_id)
        if person is None:  # unknown or deactivated: told nothing
            continue
        prefs = preferences_from_row(prefs_rows.get(user_id), user_id)
        channels = prefs.channels_for(notice.event)
        lang = domain.language_of(prefs.language, person.language)
        rendered = by_language.get(lang)
        if rendered is None:  # the same notice in the same language reads the same to all
            rendered = by_language[lang] = templates.render(notice, lang=lang, public_url=public_url)
        if POPUP in channels:
            popup_titles[user_id] = rendered.title
        if EMAIL in channels and person.email:
            headers = rendered.headers | {
                "Message-ID": templates.message_id(event_id, user_id, notice.ticket_id)
            }
            queued.append(
                store.NewDelivery(
                    source_event_id=event_id,
                    user_id=user_id,
                    channel=EMAIL,
                    event=notice.event,
                    address=person.email,
                    payload={
                        "subject": rendered.title,
                        "text": rendered.text,
                        "html": rendered.html,
                        "headers": headers,
                        "name": person.full_name,
                    },
                    mailing_id=mailing_id,
                    delay_seconds=mail_interval * len(queued),
                )
            )
        pushbullet = prefs.pushbullet or person.pushbullet
        if PUSHBULLET in channels and pushbullet:
            queued.append(
                store.NewDelivery(
                    source_event_id=event_id,
                    user_id=user_id,
                    channel=PUSHBULLET,
                    event=notice.event,
                    address=pushbullet,
                    payload={"title": rendered.title, "body": _popup_body(notice), "url": rendered.link},
                )
            )
    popups = await _store_popups(uow, event_id, notice, popup_titles)
    count = await store.enqueue(uow.conn, queued)
    log.debug("notify.dispatched", notice=notice.event, popups=len(popups), queued=count)
    return Outcome(popups, count)
