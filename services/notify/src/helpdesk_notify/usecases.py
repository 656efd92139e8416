"""Notify's use cases: turn facts into pop-ups, queued mails and pushes; settings; mailings.

``dispatch`` is the heart: given a fact (a ``Notice``), its id and its recipients, it
stores the pop-ups and queues one delivery per (fact, recipient, channel) in the
consumer's own transaction, so the inbox row, the pop-ups and the queued mail commit
together or not at all, and a redelivered fact finds them there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import FieldError
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain, events, rules, store, templates
from helpdesk_notify.domain import EMAIL, POPUP, PUSHBULLET
from helpdesk_notify.errors import (
    AdminOnly,
    InvalidMailing,
    InvalidSettings,
    MailingNotFound,
    NotificationNotFound,
)
from helpdesk_notify.events import SERVICE as SERVICE  # re-exported: app and __main__ name it here
from helpdesk_notify.store import Popup
from helpdesk_notify.templates import Notice
from helpdesk_notify.wire import popup_to_pb as popup_to_pb  # re-exported: rpc answers with it

log = get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    popups: list[Popup]
    queued: int


def _preferences(row: store.PreferencesRow | None, user_id: int) -> domain.Preferences:
    if row is None:
        return domain.Preferences(user_id=user_id)
    return domain.Preferences(
        user_id=user_id,
        events={e: tuple(c) for e, c in row.events.items()},
        language=row.language,
        pushbullet=row.pushbullet,
    )


def _popup_body(notice: Notice) -> str:
    if notice.event == "mailing":
        return notice.body
    return notice.ticket_subject or notice.detail


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
    popups: list[Popup] = []
    queued: list[store.NewDelivery] = []
    for user_id in ids:
        person = people.get(user_id)
        if person is None:  # unknown or deactivated: told nothing
            continue
        prefs = _preferences(prefs_rows.get(user_id), user_id)
        channels = prefs.channels_for(notice.event)
        lang = domain.language_of(prefs.language, person.language)
        rendered = templates.render(notice, lang=lang, public_url=public_url)
        if POPUP in channels:
            popups += await store.insert_popups(
                uow.conn,
                user_ids=[user_id],
                source_event_id=event_id,
                event=notice.event,
                title=rendered.title,
                body=_popup_body(notice),
                ticket_id=notice.ticket_id or None,
            )
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
    for popup in popups:
        await uow.record_event(*events.notification_created(popup))
    count = await store.enqueue(uow.conn, queued)
    log.debug("notify.dispatched", notice=notice.event, popups=len(popups), queued=count)
    return Outcome(popups, count)


# ---- preferences ---------------------------------------------------------------


async def get_preferences(*, db: Database, user_id: int) -> domain.Preferences:
    async with db.unit_of_work() as uow:
        rows = await store.preferences_of(uow.conn, [user_id])
    return _preferences(rows.get(user_id), user_id)


async def update_preferences(
    *,
    db: Database,
    user_id: int,
    events: dict[str, list[str]],
    language: str | None,
    pushbullet: str | None,
) -> domain.Preferences:
    errors = [FieldError(f, m) for f, m in domain.validate_event_channels(events)]
    if language is not None and language not in ("", *domain.LANGUAGES):
        errors.append(FieldError("language", f"one of {', '.join(domain.LANGUAGES)} or empty"))
    if pushbullet is not None and len(pushbullet) > 320:
        errors.append(FieldError("pushbullet", "at most 320 characters"))
    if errors:
        raise InvalidSettings("Invalid notification settings.", errors=errors)
    async with db.unit_of_work() as uow:
        current = (await store.preferences_of(uow.conn, [user_id])).get(user_id) or store.PreferencesRow(
            user_id, {}, "", ""
        )
        merged = dict(current.events) | {e: sorted(set(c)) for e, c in events.items()}
        row = store.PreferencesRow(
            user_id,
            merged,
            current.language if language is None else language,
            current.pushbullet if pushbullet is None else pushbullet.strip(),
        )
        await store.save_preferences(uow.conn, row)
        await uow.commit()
    return _preferences(row, user_id)


# ---- channel settings (admin) ----------------------------------------------------


@dataclass(frozen=True)
class MailSettings:
    enabled: bool = False
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str = ""
    password: str = ""
    from_address: str = "helpdesk@localhost"
    from_name: str = "Helpdesk"


@dataclass(frozen=True)
class PushbulletSettings:
    enabled: bool = False
    access_token: str = ""
    base_url: str = "https://api.pushbullet.com"


def _require_admin(is_admin: bool) -> None:
    if not is_admin:
        raise AdminOnly()


async def load_mail_settings(db: Database) -> MailSettings:
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "mail")
    return MailSettings(**_known(MailSettings, raw or {}))


async def load_pushbullet_settings(db: Database) -> PushbulletSettings:
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "pushbullet")
    return PushbulletSettings(**_known(PushbulletSettings, raw or {}))


def _known(cls: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}


def masked_mail(s: MailSettings) -> MailSettings:
    return replace(s, password=domain.MASK if s.password else "")


def masked_pushbullet(s: PushbulletSettings) -> PushbulletSettings:
    return replace(s, access_token=domain.MASK if s.access_token else "")


async def get_mail_settings(*, db: Database, actor_is_admin: bool) -> MailSettings:
    _require_admin(actor_is_admin)
    return masked_mail(await load_mail_settings(db))


async def put_mail_settings(
    *, db: Database, actor_is_admin: bool, new: MailSettings, set_password: bool
) -> MailSettings:
    _require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if new.security not in domain.MAIL_SECURITY:
        errors.append(FieldError("security", f"one of {', '.join(domain.MAIL_SECURITY)}"))
    if not 1 <= new.port <= 65535:
        errors.append(FieldError("port", "between 1 and 65535"))
    if new.enabled and not new.host:
        errors.append(FieldError("host", "required when mail is enabled"))
    if new.enabled and "@" not in new.from_address:
        errors.append(FieldError("from_address", "an e-mail address"))
    if errors:
        raise InvalidSettings("Invalid mail settings.", errors=errors)
    async with db.unit_of_work() as uow:
        old = MailSettings(**_known(MailSettings, await store.settings_section(uow.conn, "mail") or {}))
        saved = new if set_password else replace(new, password=old.password)
        await store.save_settings_section(uow.conn, "mail", saved.__dict__)
        await uow.commit()
    return masked_mail(saved)


async def get_pushbullet_settings(*, db: Database, actor_is_admin: bool) -> PushbulletSettings:
    _require_admin(actor_is_admin)
    return masked_pushbullet(await load_pushbullet_settings(db))


async def put_pushbullet_settings(
    *, db: Database, actor_is_admin: bool, new: PushbulletSettings, set_access_token: bool
) -> PushbulletSettings:
    _require_admin(actor_is_admin)
    if not new.base_url.startswith(("http://", "https://")):
        raise InvalidSettings(
            "Invalid Pushbullet settings.", errors=[FieldError("base_url", "an http(s) URL")]
        )
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "pushbullet") or {}
        old = PushbulletSettings(**_known(PushbulletSettings, raw))
        saved = new if set_access_token else replace(new, access_token=old.access_token)
        await store.save_settings_section(uow.conn, "pushbullet", saved.__dict__)
        await uow.commit()
    return masked_pushbullet(saved)


async def dead_letters(
    *, db: Database, actor_is_admin: bool, limit: int, before_id: int | None
) -> list[store.Delivery]:
    _require_admin(actor_is_admin)
    async with db.unit_of_work() as uow:
        return await store.dead_letters(uow.conn, limit=min(max(limit, 1), 200), before_id=before_id)


# ---- mass mailing (admin) ----------------------------------------------------------


async def create_mailing(
    *,
    db: Database,
    directory: rules.Directory,
    actor_id: int,
    actor_is_admin: bool,
    subject_line: str,
    body: str,
    user_ids: list[int],
    unit_ids: list[int],
    roles: list[str],
    client_group_ids: list[int],
    public_url: str,
    per_second: float,
) -> store.MailingRow:
    """Queues one mail per picked user, spaced ``1/per_second`` apart (the throttle)."""
    _require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if not subject_line.strip():
        errors.append(FieldError("subject", "required"))
    if not body.strip():
        errors.append(FieldError("body", "required"))
    if len(subject_line) > 250:
        errors.append(FieldError("subject", "at most 250 characters"))
    bad_roles = sorted(set(roles) - {"department_head", "unit_head", "unit_member"})
    if bad_roles:
        errors.append(FieldError("roles", f"unknown role {bad_roles[0]!r}"))
    if not (user_ids or unit_ids or roles or client_group_ids):
        errors.append(FieldError("recipients", "pick users, units, roles or client groups"))
    if errors:
        raise InvalidMailing("Invalid mailing.", errors=errors)
    recipients = await rules.mass_mailing(
        directory,
        actor_id=actor_id,
        user_ids=user_ids,
        unit_ids=unit_ids,
        roles=roles,
        client_group_ids=client_group_ids,
    )
    people = {p.id: p for p in await directory.people(sorted(recipients))} if recipients else {}
    with_mail = sorted(i for i, p in people.items() if p.email)
    async with db.unit_of_work() as uow:
        mailing_id = await store.insert_mailing(
            uow.conn, subject=subject_line, body=body, created_by=actor_id, total=len(with_mail)
        )
        await dispatch(
            uow=uow,
            directory=directory,
            event_id=f"mailing:{mailing_id}",
            notice=Notice("mailing", subject=subject_line, body=body),
            recipients=with_mail,
            public_url=public_url,
            known=people,
            mailing_id=mailing_id,
            mail_interval=1.0 / per_second if per_second > 0 else 0.0,
        )
        row = await store.mailing(uow.conn, mailing_id)
        await uow.commit()
    assert row is not None
    return row


async def get_mailing(*, db: Database, actor_is_admin: bool, mailing_id: int) -> store.MailingRow:
    _require_admin(actor_is_admin)
    async with db.unit_of_work() as uow:
        row = await store.mailing(uow.conn, mailing_id)
    if row is None:
        raise MailingNotFound()
    return row


async def list_popups(*, db: Database, user_id: int, limit: int, before_id: int | None) -> list[Popup]:
    async with db.unit_of_work() as uow:
        return await store.popups_of(uow.conn, user_id, limit=min(max(limit, 1), 200), before_id=before_id)


async def mark_read(*, db: Database, user_id: int, popup_id: int) -> None:
    async with db.unit_of_work() as uow:
        if not await store.mark_read(uow.conn, user_id, popup_id):
            raise NotificationNotFound()
        await uow.commit()


REFUSAL_REASONS = ("unknown_sender", "disabled_sender")


async def queue_auto_reply(
    *,
    db: Database,
    key: str,
    to_address: str,
    to_name: str,
    in_reply_to: str,
    subject: str,
    reason: str,
    public_url: str,
) -> bool:
    """Queues mail intake's refusal of a mail (one delivery to a person who is no user:
    ``user_id`` 0); the same key queues nothing twice. True when it was queued now."""
    errors: list[FieldError] = []
    if not key or len(key) > 200:
        errors.append(FieldError("key", "1 to 200 characters"))
    if "@" not in to_address or len(to_address) > 320 or any(c in to_address for c in "\r\n"):
        errors.append(FieldError("to_address", "an e-mail address"))
    if reason not in REFUSAL_REASONS:
        errors.append(FieldError("reason", f"one of {', '.join(REFUSAL_REASONS)}"))
    if errors:
        raise InvalidSettings("Invalid auto-reply.", errors=errors)
    safe_reply_to = in_reply_to if in_reply_to.startswith("<") and "\n" not in in_reply_to else ""
    rendered = templates.refusal(
        reason=reason, subject=subject, in_reply_to=safe_reply_to, key=key, public_url=public_url
    )
    delivery = store.NewDelivery(
        source_event_id=f"mailin:{key}",
        user_id=0,
        channel=EMAIL,
        event="mailin.refused",
        address=to_address,
        payload={
            "subject": rendered.title,
            "text": rendered.text,
            "html": rendered.html,
            "headers": rendered.headers,
            "name": " ".join(to_name.split())[:200],
        },
    )
    async with db.unit_of_work() as uow:
        queued = await store.enqueue(uow.conn, [delivery])
        await uow.commit()
    return queued == 1
