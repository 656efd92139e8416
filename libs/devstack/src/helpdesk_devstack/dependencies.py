"""The servers a stack starts for its services: PostgreSQL, NATS and Redis, locked down.

Each is started with its data under ``var_dir`` (``postgres/``, ``nats/``,
``redis/``) unless the parent environment already names one
(``HELPDESK_DATABASE_URL`` / ``HELPDESK_NATS_URL`` / ``HELPDESK_REDIS_URL``). The
ones started here are locked down: each service with ``database = true`` gets a
PostgreSQL role of its name owning only the schema of its name; each service with
a ``nats`` table a NATS user allowed exactly what the table says
(:mod:`helpdesk_devstack.natsauth`); anonymous NATS connections and password-less
PostgreSQL connections over TCP are refused. The passwords live in
``var_dir/credentials.json`` (:mod:`helpdesk_devstack.credentials`).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from helpdesk_devstack.config import DATABASE_URL_ENV, NATS_URL_ENV, REDIS_URL_ENV, ServiceSpec, StackError
from helpdesk_devstack.credentials import Credentials
from helpdesk_devstack.natsauth import NatsAccess, server_authorization
from helpdesk_devstack.servers import PG_SUPERUSER, NatsServer, PostgresServer, RedisServer, ServerError
from helpdesk_devstack.servers.process import ChildServer

__all__ = ["NATS_ADMIN", "SERVER_KINDS", "Dependencies"]

logger = logging.getLogger("helpdesk_devstack.stack")

# The NATS account of tools and tests on this machine (services have their own).
NATS_ADMIN = "admin"
#: In start order (they stop in reverse).
SERVER_KINDS = ("postgres", "nats", "redis")


class Dependencies:
    """PostgreSQL, NATS and Redis for the services in ``specs``: started, or taken as given."""

    def __init__(
        self,
        var_dir: Path,
        specs: Sequence[ServiceSpec],
        credentials: Credentials,
        *,
        durable: bool,
        parent_env: Mapping[str, str],
    ) -> None:
        self.var_dir = var_dir
        self.specs = specs
        self.credentials = credentials
        self.durable = durable
        self._parent_env = parent_env
        #: The servers started here, by kind, in start order.
        self.servers: dict[str, ChildServer] = {}
        self._urls: dict[str, str] = {}
        self._own_urls: dict[str, dict[str, str]] = {}

    def start(self) -> None:
        starters: list[tuple[str, Callable[[], str]]] = [
            (DATABASE_URL_ENV, self._start_postgres),
            (NATS_URL_ENV, self._start_nats),
            (REDIS_URL_ENV, self._start_redis),
        ]
        for key, start in starters:
            given = self._parent_env.get(key, "")
            if given:
                logger.info("using %s=%s (not starting one)", key, given)
                self._urls[key] = given
            else:
                self._urls[key] = start()

    def stop(self) -> None:
        """Stops the servers started here, Redis first, PostgreSQL last."""
        for server in reversed(list(self.servers.values())):
            try:
                server.stop()
            except (OSError, subprocess.SubprocessError, ServerError):
                logger.exception("could not stop %s", server.kind)
        self.servers.clear()

    @property
    def started(self) -> bool:
        return bool(self.servers)

    def server(self, kind: str) -> ChildServer:
        if kind not in SERVER_KINDS:
            raise StackError(f"no server kind {kind!r} ({', '.join(SERVER_KINDS)})")
        try:
            return self.servers[kind]
        except KeyError:
            raise StackError(f"this stack did not start {kind}") from None

    def url(self, key: str) -> str:
        """The shared URL of ``key`` (superuser, NATS administrator)."""
        try:
            return self._urls[key]
        except KeyError:
            raise StackError("the stack has not been started") from None

    def own_url(self, service: str, key: str) -> str:
        """The URL ``service`` uses: its own role or user, else the shared one."""
        return self._own_urls.get(service, {}).get(key) or self.url(key)

    def _start_postgres(self) -> str:
        postgres = PostgresServer(
            self.var_dir / "postgres",
            durable=self.durable,
            password=self.credentials.password("postgres", PG_SUPERUSER),
        )
        self.servers["postgres"] = postgres
        postgres.start()
        for spec in self.specs:
            if spec.database:
                url = postgres.provision_role(
                    spec.name, self.credentials.password("postgres", spec.name), extensions=spec.extensions
                )
                self._own_urls.setdefault(spec.name, {})[DATABASE_URL_ENV] = url
        return postgres.url

    def _start_nats(self) -> str:
        users = {
            spec.name: (self.credentials.password("nats", spec.name), spec.nats)
            for spec in self.specs
            if spec.nats is not None
        }
        admin_password = self.credentials.password("nats", NATS_ADMIN)
        users[NATS_ADMIN] = (admin_password, NatsAccess(publish=(">",), subscribe=(">",)))
        nats = NatsServer(self.var_dir / "nats", config=server_authorization(users))
        self.servers["nats"] = nats
        nats.start()
        for name, (password, _) in users.items():
            self._own_urls.setdefault(name, {})[NATS_URL_ENV] = nats.url_for(name, password)
        return nats.url_for(NATS_ADMIN, admin_password)

    def _start_redis(self) -> str:
        redis = RedisServer(self.var_dir / "redis")
        self.servers["redis"] = redis
        redis.start()
        return redis.url
