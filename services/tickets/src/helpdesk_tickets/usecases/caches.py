"""Per-replica caches of what admins change rarely: the ``tickets`` settings section and the
custom field definitions. Each is re-read after a short time, and at once after a change
through this replica.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_tickets import fields, store

DEFAULT_SETTINGS: dict[str, Any] = {
    "days_to_archive": 3,
    "max_file_bytes": 10 * 1024 * 1024,
    "allowed_types": ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"],
    "free_text_subjects": True,
    # roles whose new comments are internal notes unless they say otherwise
    "internal_by_default": [],
    # a client's comment on his done ticket reopens it, within so many days of completion
    "client_reopen": True,
    "client_reopen_days": 7,
    # {"<unit id>": plan id}: the SLA plan of a ticket whose subject names none
    "unit_sla_plans": {},
}


class SettingsCache:
    """The ``tickets`` settings section, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._value: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self._at = -1e9

    async def get(self, db: Database) -> dict[str, Any]:
        if time.monotonic() - self._at > self._ttl:
            async with db.unit_of_work() as uow:
                stored = await store.settings_section(uow.conn, "tickets")
            self._value = {**DEFAULT_SETTINGS, **(stored or {})}
            self._at = time.monotonic()
        return self._value

    def forget(self) -> None:
        self._at = -1e9


class FieldsCache:
    """The live custom field definitions, re-read at most every ``ttl`` seconds, at once
    after a change through this replica, and when a request names a field not cached."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._value: dict[int, fields.CustomField] = {}
        self._at = -1e9

    async def get(self, db: Database, *, wanted: Iterable[str] = ()) -> dict[int, fields.CustomField]:
        stale = time.monotonic() - self._at > self._ttl
        ids = {fields.field_id(k) for k in wanted} - {None}
        if stale or not ids <= self._value.keys():
            async with db.unit_of_work() as uow:
                found = await store.custom_fields(uow.conn)
            self._value = {f.id: f for f in found}
            self._at = time.monotonic()
        return self._value

    def forget(self) -> None:
        self._at = -1e9
