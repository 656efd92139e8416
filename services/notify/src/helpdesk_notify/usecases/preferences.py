"""A user's notification preferences: which events on which channels, language, Pushbullet address."""

from __future__ import annotations

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_notify import domain, store
from helpdesk_notify.errors import InvalidSettings


def preferences_from_row(row: store.PreferencesRow | None, user_id: int) -> domain.Preferences:
    if row is None:
        return domain.Preferences(user_id=user_id)
    return domain.Preferences(
        user_id=user_id,
        events={e: tuple(c) for e, c in row.events.items()},
        language=row.language,
        pushbullet=row.pushbullet,
    )


async def get_preferences(*, db: Database, user_id: int) -> domain.Preferences:
    async with db.unit_of_work() as uow:
        rows = await store.preferences_of(uow.conn, [user_id])
    return preferences_from_row(rows.get(user_id), user_id)


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
    elif (
        pushbullet
        and pushbullet.strip()
        and (problem := domain.pushbullet_address_problem(pushbullet.strip()))
    ):
        errors.append(FieldError("pushbullet", problem))
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
    return preferences_from_row(row, user_id)
