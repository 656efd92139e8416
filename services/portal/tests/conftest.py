"""Fixtures of the portal tests: a migrated portal schema on the session's PostgreSQL,
switched on, and an in-memory directory standing in for identity."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from helpdesk_kit.db import Database
from helpdesk_portal.app import MIGRATIONS
from helpdesk_portal.directory import Person
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.events import SERVICE
from helpdesk_portal.store import settings_table

ADMIN = Viewer(user_id=1, kind="staff", role="department_head", unit_ids=(1,), is_admin=True, name="system")
STAFF = Viewer(user_id=2, kind="staff", role="unit_member", unit_ids=(1,), name="sam")
OTHER_STAFF = Viewer(user_id=3, kind="staff", role="unit_member", unit_ids=(2,), name="olga")
CLIENT = Viewer(user_id=10, kind="client", name="carl")
OTHER_CLIENT = Viewer(user_id=11, kind="client", name="cleo")


class FakeDirectory:
    """identity's GetUsers, from a dict; counts the questions."""

    def __init__(self, people: dict[int, Person]) -> None:
        self.known = people
        self.asked: list[list[int]] = []

    async def people(self, ids: list[int]) -> dict[int, Person]:
        self.asked.append(list(ids))
        return {i: self.known[i] for i in ids if i in self.known}


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory(
        {
            1: Person(1, "System Admin", True, True),
            2: Person(2, "Sam Staff", True, True),
            3: Person(3, "Olga Other", True, True),
            10: Person(10, "Carl Client", False, True),
            11: Person(11, "Cleo Client", False, True),
            12: Person(12, "Gone Staff", True, False),
        }
    )


async def switch(db: Database, **values: object) -> PortalSettings:
    settings = PortalSettings(**{"enabled": True, "posts_per_hour": 0, "comments_per_hour": 0, **values})  # type: ignore[arg-type]
    async with db.unit_of_work() as uow:
        await settings_table.save(uow.conn, settings)
        await uow.commit()
    return settings


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=database_url, schema=SERVICE, script_location=MIGRATIONS)
    async with Database(database_url, schema=SERVICE, pool_size=4) as database:
        yield database


@pytest.fixture
async def on(db: Database) -> Database:
    """The portal, switched on, without posting limits."""
    await switch(db)
    return db


async def outbox(db: Database) -> list[tuple[str, bytes]]:
    rows = await db.pool.fetch("SELECT subject, payload FROM outbox ORDER BY id")
    return [(r["subject"], bytes(r["payload"])) for r in rows]
