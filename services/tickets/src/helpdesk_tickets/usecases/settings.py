"""The ``tickets`` settings section (archive delay, file limits, free-text subjects, internal
notes by default, clients reopening, the units' default SLA plans): admins only; the part
every page needs (``public_settings``) for everyone signed in."""

from __future__ import annotations

import mimetypes
from typing import Any

from helpdesk_kit import filetypes
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor
from helpdesk_tickets.errors import InvalidTicket, NotAllowed
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, SettingsCache
from helpdesk_tickets.usecases.comments import internal_by_default


async def public_settings(*, db: Database, actor: Actor, cache: SettingsCache) -> dict[str, Any]:
    """File limits, this caller's comment default, whether clients may reopen."""
    current = await cache.get(db)
    types = list(current["allowed_types"])
    extensions = sorted({e for t in types for e in _extensions(t)})
    return {
        "max_file_bytes": current["max_file_bytes"],
        "allowed_types": types,
        "allowed_extensions": extensions,
        "internal_by_default": internal_by_default(actor, current),
        "client_reopen": current["client_reopen"],
        "client_reopen_days": current["client_reopen_days"],
    }


def _extensions(content_type: str) -> set[str]:
    """The file name endings the upload accepts for a type (plain text: only a few)."""
    if content_type == "text/plain":
        return set(filetypes.TEXT_EXTENSIONS)
    return set(mimetypes.guess_all_extensions(content_type))


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
    errors += _check_agent_settings(value)
    if errors:
        raise InvalidTicket("The settings are not valid.", errors=errors)
    return {**DEFAULT_SETTINGS, **value}


ROLES = ("department_head", "unit_head", "unit_member")


def _is_count(v: object, low: int, high: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _check_agent_settings(value: dict[str, Any]) -> list[FieldError]:
    """Internal notes by default, clients reopening, the units' default SLA plans."""
    errors = []
    roles = value.get("internal_by_default", [])
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        errors.append(FieldError("internal_by_default", f"a list of roles among {', '.join(ROLES)}"))
    if not isinstance(value.get("client_reopen", True), bool):
        errors.append(FieldError("client_reopen", "true or false"))
    if not _is_count(value.get("client_reopen_days", 7), 0, 3650):
        errors.append(FieldError("client_reopen_days", "a whole number of days, 0 to 3650"))
    plans = value.get("unit_sla_plans", {})
    if not isinstance(plans, dict) or not all(
        str(k).isdigit() and _is_count(v, 1, 2**63 - 1) for k, v in plans.items()
    ):
        errors.append(FieldError("unit_sla_plans", "a map of unit id to SLA plan id"))
    return errors


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
