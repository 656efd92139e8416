"""The ``tickets`` settings section (archive delay, file limits, free-text subjects): admins only."""

from __future__ import annotations

from typing import Any

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor
from helpdesk_tickets.errors import InvalidTicket, NotAllowed
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, SettingsCache


async def get_settings(*, db: Database, actor: Actor) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("Only admins read the settings.")
    async with db.unit_of_work() as uow:
        stored = await store.settings_section(uow.conn, "tickets")
    return {**DEFAULT_SETTINGS, **(stored or {})}


def _check_settings(value: dict[str, Any]) -> dict[str, Any]:
    errors = []
    unknown = set(value) - set(DEFAULT_SETTINGS)
    for name in sorted(unknown):
        errors.append(FieldError(name, "unknown setting"))
    days = value.get("days_to_archive", 3)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        errors.append(FieldError("days_to_archive", "a whole number of days, 1 to 3650"))
    size = value.get("max_file_bytes", 1)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1024**3:
        errors.append(FieldError("max_file_bytes", "1 byte to 1 GiB"))
    types = value.get("allowed_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and "/" in t for t in types):
        errors.append(FieldError("allowed_types", "a list of MIME types"))
    if not isinstance(value.get("free_text_subjects", True), bool):
        errors.append(FieldError("free_text_subjects", "true or false"))
    if errors:
        raise InvalidTicket("The settings are not valid.", errors=errors)
    return {**DEFAULT_SETTINGS, **value}


async def put_settings(
    *, db: Database, actor: Actor, value: dict[str, Any], cache: SettingsCache | None = None
) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("Only admins change the settings.")
    checked = _check_settings(value)
    async with db.unit_of_work() as uow:
        await store.save_settings_section(uow.conn, "tickets", checked)
        await uow.commit()
    if cache is not None:
        cache.forget()
    return checked
