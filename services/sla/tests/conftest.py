"""Fixtures of the sla tests: a migrated sla schema on the session's PostgreSQL, and a hand clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit.db import Database
from helpdesk_sla.app import MIGRATIONS, SERVICE


class HandClock:
    """A time source the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> datetime:
        self.t += timedelta(seconds=seconds)
        return self.t


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=database_url, schema=SERVICE, script_location=MIGRATIONS)
    async with Database(database_url, schema=SERVICE, pool_size=6) as database:
        yield database


@pytest.fixture
def clock() -> HandClock:
    return HandClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
