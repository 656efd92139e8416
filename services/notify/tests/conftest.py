"""Fixtures: the notify schema migrated in a fresh database, an SMTP sink, the people of the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import helpdesk_notify
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_notify.rules import Person

from .fakes import Directory, SmtpSink

MIGRATIONS = Path(helpdesk_notify.__file__).parent / "migrations"

UNIT_A, UNIT_B = 1, 2


def _p(uid: int, role: str | None, units: set[int], lang: str = "en", group: int | None = None) -> Person:
    return Person(
        uid, role, frozenset(units), email=f"u{uid}@example.test", language=lang, client_group_id=group
    )


# 10 heads unit A as department head, 11 is its unit head; 13 is in A and B; 20 heads B;
# 30 is a department head of no unit; 40, 41 are clients (40 in client group 7); 50 has no e-mail address.
PEOPLE = [
    _p(10, "department_head", {UNIT_A}),
    _p(11, "unit_head", {UNIT_A}, lang="ru"),
    _p(12, "unit_member", {UNIT_A}),
    _p(13, "unit_member", {UNIT_A, UNIT_B}),
    _p(20, "unit_head", {UNIT_B}),
    _p(21, "unit_member", {UNIT_B}),
    _p(30, "department_head", set()),
    _p(40, None, set(), group=7),
    _p(41, None, set()),
    Person(50, None, frozenset()),
]


@pytest.fixture
def directory() -> Directory:
    return Directory(PEOPLE)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await upgrade(database_url=database_url, schema="notify", script_location=MIGRATIONS)
    async with Database(database_url, schema="notify", pool_size=4) as database:
        yield database


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
