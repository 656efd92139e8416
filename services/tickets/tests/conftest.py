"""Fixtures: a migrated tickets database per test, and a fake identity directory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_devstack.servers import PostgresServer
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_tickets.app import MIGRATIONS
from helpdesk_tickets.directory import UnitDirectory

UNITS = (10, 20, 30)


@dataclass
class FakeIdentity:
    """Stands in for identity's gRPC stub: the units that exist and the users' client groups."""

    units: tuple[int, ...] = UNITS
    client_groups: dict[int, int] = field(default_factory=dict)

    async def ListUnits(self, request: Any) -> id_pb.ListUnitsResponse:
        return id_pb.ListUnitsResponse(units=[id_pb.Unit(id=u, name=f"unit {u}") for u in self.units])

    async def GetUsers(self, request: Any) -> id_pb.GetUsersResponse:
        return id_pb.GetUsersResponse(
            users=[id_pb.User(id=i, client_group_id=self.client_groups.get(i, 0)) for i in request.ids]
        )


@pytest.fixture(scope="session")
def template_db(postgres_server: PostgresServer) -> str:
    """A database migrated once; every test gets a copy (CREATE DATABASE ... TEMPLATE)."""
    name = f"tickets_tpl_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    asyncio.run(upgrade(database_url=url, schema="tickets", script_location=MIGRATIONS))
    return name


@pytest.fixture
async def db(postgres_server: PostgresServer, template_db: str) -> AsyncIterator[Database]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    postgres_server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    database = Database(postgres_server.url_for(name), schema="tickets", pool_size=4)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()
        postgres_server.drop_database(name)


@pytest.fixture
def identity() -> FakeIdentity:
    return FakeIdentity(client_groups={8: 100, 9: 200, 11: 100})


@pytest.fixture
def units(identity: FakeIdentity) -> UnitDirectory:
    return UnitDirectory(identity, ttl=60)  # type: ignore[arg-type]
