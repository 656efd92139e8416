"""Pytest fixtures for ZENLIX imports: a MariaDB server and generated ZENLIX databases.

- ``mariadb`` (session): the server (skips the test when Debian's ``mariadb-server`` is absent);
- ``zenlix`` (session): one generated database, shared by the tests that only read it;
- ``new_zenlix`` (function): a factory for a database of one's own, ``new_zenlix(**generate_kw)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
import pytest

from helpdesk_devstack.servers import mariadb
from helpdesk_devstack.zenlix.generator import Expected, generate


@dataclass
class Source:
    """A generated ZENLIX database: its read-only URL, what is importable, its upload dir."""

    url: str
    name: str
    expected: Expected
    files_dir: Path
    server: mariadb.MariaDB

    def admin(self) -> pymysql.connections.Connection[Any]:
        return self.server.admin(self.name)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[mariadb.MariaDB]:
    if not mariadb.available():
        pytest.skip("mariadb-server is not installed (apt-get install mariadb-server)")
    with mariadb.MariaDB() as server:
        yield server


def _source(server: mariadb.MariaDB, files_dir: Path, **kw: Any) -> Source:
    name = f"zenlix_{uuid.uuid4().hex[:10]}"
    url = server.create_database(name)
    files_dir.mkdir(parents=True, exist_ok=True)
    with server.admin(name) as conn:
        expected = generate(conn, files_dir=files_dir, **kw)
    return Source(url=url, name=name, expected=expected, files_dir=files_dir, server=server)


@pytest.fixture(scope="session")
def zenlix(mariadb_server: mariadb.MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Source:
    return _source(mariadb_server, tmp_path_factory.mktemp("upload_files"))


@pytest.fixture
def new_zenlix(mariadb_server: mariadb.MariaDB, tmp_path: Path) -> Iterator[Callable[..., Source]]:
    made: list[Source] = []

    def make(**kw: Any) -> Source:
        source = _source(mariadb_server, tmp_path / f"upload_files_{len(made)}", **kw)
        made.append(source)
        return source

    yield make
    for source in made:
        mariadb_server.drop_database(source.name)
