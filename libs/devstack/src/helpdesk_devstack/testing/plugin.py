"""Pytest plugin: real PostgreSQL, NATS (JetStream) and Redis servers for tests.

Loaded for the whole workspace with ``-p helpdesk_devstack.testing.plugin`` (see the
root ``pyproject.toml``). Each server is started lazily, the first time a test
asks for it, on a free port with its data under the session's temporary
directory, and is stopped at the end of the session.

Fixtures:

- ``postgres_server`` (session): the :class:`~helpdesk_devstack.servers.PostgresServer`
  (``durable=False``: no fsync, fast, fine for throw-away data);
- ``database_url`` (function): the URL of a new, empty database for this test
  only, dropped afterwards;
- ``nats_server`` / ``nats_url`` (session): ``nats-server`` with JetStream;
- ``redis_server`` / ``redis_url`` (session): ``redis-server``;
- ``test_ca`` (session): a throwaway :class:`~helpdesk_devstack.pki.CertificateAuthority`;
  ``mesh`` (session): ``mesh("gateway")`` is a :class:`~helpdesk_kit.trust.Mesh` that
  proves itself as that service with a certificate of that CA (mutual TLS, as in
  production); ``passports`` (session): a
  :class:`~helpdesk_devstack.testing.passports.PassportIssuer`;
- ``dovecot`` (session): a throwaway IMAP server
  (:class:`~helpdesk_devstack.servers.dovecot.Dovecot`, Debian's ``dovecot-imapd``; the
  test is skipped when it is not installed) for mail intake's tests.

Marker: ``e2e`` for end-to-end tests (select or skip them with ``-m``).
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.servers import NatsServer, PostgresServer, RedisServer, ServerError
from helpdesk_devstack.servers.dovecot import Dovecot
from helpdesk_devstack.servers.dovecot import available as dovecot_available
from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_kit import sealing
from helpdesk_kit.trust import Mesh

logger = logging.getLogger("helpdesk_devstack.testing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test that starts the whole stack (slow; real processes)"
    )


@pytest.fixture(scope="session", autouse=True)
def secret_keys() -> str:
    """Services that seal secrets need a key ring: the session has a random one (set up in
    this process too; pass it as ``secret_keys`` to a service's settings)."""
    ring = f"test:{base64.b64encode(os.urandom(32)).decode()}"
    sealing.configure(ring)
    return ring


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (no fsync)."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres"), durable=False)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty database that only this test uses."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    yield postgres_server.create_database(name)
    try:
        postgres_server.drop_database(name)
    except ServerError as exc:  # leaving a database behind must not fail the test
        logger.warning("could not drop database %s: %s", name, exc)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server with JetStream for the whole session."""
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    """``nats://127.0.0.1:<port>`` of the session's NATS server."""
    return nats_server.url


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    """A certificate authority for this session's services."""
    return CertificateAuthority(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def mesh(test_ca: CertificateAuthority) -> Callable[[str], Mesh]:
    """``mesh(name)``: the mTLS identity of service ``name`` (its certificate issued once)."""

    def make(service: str) -> Mesh:
        return Mesh(service=service, tls_dir=str(test_ca.issue(service)))

    return make


@pytest.fixture(scope="session")
def passports() -> PassportIssuer:
    """Signs passports for the users a test acts for; services verify with ``passports.keys``."""
    return PassportIssuer()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis server for the whole session."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """``redis://127.0.0.1:<port>/0`` of the session's Redis server."""
    return redis_server.url


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """An IMAP server for the whole session: ``add_user``, ``append``, ``client``,
    ``ssl_context`` / ``ca_file`` (its certificate's authority)."""
    if not dovecot_available():
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with Dovecot() as server:
        yield server
