"""One-machine launcher: dependencies plus every service as its own process.

``make run`` runs ``python -m helpdesk_devstack run``; end-to-end tests use
:class:`Stack`. The services come from a TOML file (``devstack.toml`` at the
repository root), one ``[[service]]`` table each, in start order::

    [[service]]
    name = "api"              # [a-z][a-z0-9_]*; gives HELPDESK_API_URL / _ADDR
    module = "example_api"    # run as `python -m example_api migrate|serve|...`
    grpc = true               # serves gRPC on HELPDESK_GRPC_PORT (default false)
    public = true             # the one service users open (default false)
    migrate = true            # run `migrate` before starting (default true)
    setup = ["bootstrap"]     # commands run after all migrations (default none)
    ready_path = "/readyz"    # answers 200 once the service is ready (default)

What :meth:`Stack.start` does:

1. starts PostgreSQL, NATS (JetStream) and Redis with their data under
   ``var_dir`` (``postgres/``, ``nats/``, ``redis/``), except those whose URL is
   already given by ``HELPDESK_DATABASE_URL`` / ``HELPDESK_NATS_URL`` /
   ``HELPDESK_REDIS_URL``. The ones it starts are locked down: each service with
   ``database = true`` gets a PostgreSQL role of its name owning only the schema of
   its name; each service with a ``nats`` table a NATS user allowed exactly what the
   table says (:mod:`helpdesk_devstack.natsauth`); anonymous NATS connections and
   password-less PostgreSQL connections over TCP are refused. The passwords live in
   ``var_dir/credentials.json`` (:mod:`helpdesk_devstack.credentials`);
2. gives every service a free HTTP port (the public one: ``public_port``) and,
   with gRPC, a free gRPC port, a certificate of the stack's CA
   (``var_dir/pki``, :mod:`helpdesk_devstack.pki`) and its key ring for secrets
   at rest, and builds its environment: the parent's, plus its own
   ``HELPDESK_DATABASE_URL`` and ``HELPDESK_NATS_URL`` (only when it uses them),
   ``HELPDESK_REDIS_URL``, ``HELPDESK_TLS_DIR``, ``HELPDESK_SECRET_KEYS``,
   ``HELPDESK_HTTP_PORT``, ``HELPDESK_GRPC_PORT``, ``HELPDESK_<NAME>_ADDR``
   (gRPC ``127.0.0.1:port`` of every gRPC service), ``HELPDESK_<NAME>_URL``
   (``http://127.0.0.1:port`` of every service) and ``HELPDESK_PUBLIC_URL``
   (the public service's URL, unless the parent environment sets it);
3. runs every service's ``migrate`` command in order, then the ``setup``
   commands (their standard output is kept in :attr:`Stack.setup_output`);
4. starts ``python -m <module> serve`` for every service, output appended to
   ``var_dir/log/<name>.log``, and waits until each answers ``GET <ready_path>``
   with 200.

:meth:`Stack.stop` sends SIGTERM to every service, SIGKILLs those still running
after ``stop_timeout`` seconds, then stops Redis, NATS and PostgreSQL. Data stays
in ``var_dir``, so the next start reuses it.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from helpdesk_devstack.config import (
    DATABASE_URL_ENV,
    GRPC_PORT_ENV,
    HTTP_PORT_ENV,
    NATS_URL_ENV,
    PUBLIC_URL_ENV,
    REDIS_URL_ENV,
    SECRET_KEYS_ENV,
    TLS_DIR_ENV,
    ServiceSpec,
    StackError,
    load_config,
)
from helpdesk_devstack.credentials import Credentials
from helpdesk_devstack.natsauth import NatsAccess, server_authorization
from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.processes import Ports, ServiceProcess, log_header
from helpdesk_devstack.servers import (
    LOCALHOST,
    PG_SUPERUSER,
    NatsServer,
    PostgresServer,
    RedisServer,
    ServerError,
    log_tail,
)
from helpdesk_devstack.servers.process import http_ok

__all__ = ["Stack", "StackError", "load_config"]

logger = logging.getLogger("helpdesk_devstack.stack")

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 600.0
_POLL_INTERVAL = 0.1


class Stack:
    """The dependencies and all services of a devstack TOML file, on this machine.

    ``env`` is added to this process's environment to form the parent
    environment of the services; a non-empty ``HELPDESK_DATABASE_URL``,
    ``HELPDESK_NATS_URL`` or ``HELPDESK_REDIS_URL`` in it means "use that, do
    not start one". ``public_port`` is the public service's HTTP port (``None``:
    a free port). ``durable=False`` runs PostgreSQL without fsync (tests).
    ``echo_setup`` also writes the setup commands' output to our stdout.
    """

    def __init__(
        self,
        config_path: Path,
        var_dir: Path,
        *,
        durable: bool = True,
        env: dict[str, str] | None = None,
        public_port: int | None = None,
        verbose: bool = False,
        echo_setup: bool = False,
        python: str | None = None,
        ready_timeout: float = READY_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.config_path = Path(config_path)
        self.specs = load_config(self.config_path)
        self.var_dir = Path(var_dir).absolute()
        self.durable = durable
        self.public_port = public_port
        self.verbose = verbose
        self.echo_setup = echo_setup
        self.python = python or sys.executable
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.setup_output = ""
        self._parent_env = {**os.environ, **(env or {})}
        self._postgres: PostgresServer | None = None
        self._nats: NatsServer | None = None
        self._redis: RedisServer | None = None
        self._urls: dict[str, str] = {}
        self._own_urls: dict[str, dict[str, str]] = {}
        self._services: dict[str, ServiceProcess] = {}
        self.credentials = Credentials(self.var_dir / "credentials.json")
        self.pki = self.var_dir / "pki"

    # -- properties -----------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def database_url(self) -> str:
        """The superuser's URL (tools and tests); services use their own roles."""
        return self._url(DATABASE_URL_ENV)

    @property
    def nats_url(self) -> str:
        """An administrator's URL (tools and tests); services connect as their own users."""
        return self._url(NATS_URL_ENV)

    @property
    def nats_server(self) -> NatsServer:
        """The NATS server this stack started (a test may stop and start it again)."""
        if self._nats is None:
            raise StackError("this stack did not start NATS")
        return self._nats

    def own_url(self, service: str, key: str) -> str:
        """The database or NATS URL (``key``: ``HELPDESK_DATABASE_URL`` / ``_NATS_URL``)
        that ``service`` uses; the shared one when the server is not ours."""
        return self._own_urls.get(service, {}).get(key) or self._url(key)

    @property
    def redis_url(self) -> str:
        return self._url(REDIS_URL_ENV)

    @property
    def gateway_url(self) -> str:
        """The URL of the public service."""
        for spec in self.specs:
            if spec.public:
                return self.http_url(spec.name)
        raise StackError(f"{self.config_path}: no service has public = true")

    def http_url(self, name: str) -> str:
        """``http://127.0.0.1:<http port>`` of service ``name``."""
        return self._service(name).http_url

    def grpc_addr(self, name: str) -> str:
        """``127.0.0.1:<grpc port>`` of service ``name``."""
        service = self._service(name)
        if service.grpc_port is None:
            raise StackError(f"service {name!r} has no gRPC port")
        return f"{LOCALHOST}:{service.grpc_port}"

    def service_env(self, name: str) -> dict[str, str]:
        """The environment service ``name`` runs with."""
        return dict(self._service(name).env)

    def log_path(self, name: str) -> Path:
        return self._service(name).log_path

    def pid(self, name: str) -> int | None:
        """The pid of service ``name`` while it runs."""
        service = self._service(name)
        return service.proc.pid if service.running and service.proc is not None else None

    def exited(self) -> dict[str, int]:
        """Services whose process has exited on its own, with their exit code."""
        codes = {name: s.exit_code() for name, s in self._services.items()}
        return {name: code for name, code in codes.items() if code is not None}

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start everything and wait until every service is ready.

        On failure everything started so far is stopped and :class:`StackError`
        (or :class:`~helpdesk_devstack.servers.ServerError`) is raised.
        """
        if self._started():
            raise StackError("the stack is already started")
        ok = False
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._start_dependencies()
            self._prepare_services()
            for spec in self.specs:
                if spec.migrate:
                    self._run(spec, ("migrate",))
            self.setup_output = ""
            for spec in self.specs:
                for command in spec.setup:
                    self.setup_output += self._run(spec, command)
            for service in self._services.values():
                service.start(self.python, verbose=self.verbose)
            self._wait_ready(list(self._services.values()))
            ok = True
        finally:
            if not ok:
                self.stop()

    def stop(self) -> None:
        """Stop all services (SIGTERM, SIGKILL after ``stop_timeout``), then the servers."""
        services = [s for s in reversed(self._services.values()) if s.proc is not None]
        for service in services:
            logger.info("stopping %s", service.spec.name)
            service.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for service in services:
            service.wait(deadline)
        for server in (self._redis, self._nats, self._postgres):
            if server is not None:
                try:
                    server.stop()
                except (OSError, subprocess.SubprocessError, ServerError):
                    logger.exception("could not stop %s", server.kind)
        self._redis = self._nats = self._postgres = None

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        """Stop one service: SIGTERM (SIGKILL with ``kill=True``), SIGKILL after a timeout."""
        service = self._service(name)
        service.signal(signal.SIGKILL if kill else signal.SIGTERM)
        service.wait(time.monotonic() + self.stop_timeout)

    def start_service(self, name: str) -> None:
        """Start one (stopped) service again, same ports and environment, and wait for it."""
        service = self._service(name)
        service.start(self.python, verbose=self.verbose)
        self._wait_ready([service])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps ----------------------------------------------------------------------------

    def _start_dependencies(self) -> None:
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

    def _start_postgres(self) -> str:
        self._postgres = PostgresServer(
            self.var_dir / "postgres",
            durable=self.durable,
            password=self.credentials.password("postgres", PG_SUPERUSER),
        )
        self._postgres.start()
        for spec in self.specs:
            if spec.database:
                url = self._postgres.provision_role(
                    spec.name, self.credentials.password("postgres", spec.name), extensions=spec.extensions
                )
                self._own_urls.setdefault(spec.name, {})[DATABASE_URL_ENV] = url
        return self._postgres.url

    def _start_nats(self) -> str:
        users = {
            spec.name: (self.credentials.password("nats", spec.name), spec.nats)
            for spec in self.specs
            if spec.nats is not None
        }
        admin_password = self.credentials.password("nats", NATS_ADMIN)
        users[NATS_ADMIN] = (admin_password, NatsAccess(publish=(">",), subscribe=(">",)))
        self._nats = NatsServer(self.var_dir / "nats", config=server_authorization(users))
        self._nats.start()
        for name, (password, _) in users.items():
            self._own_urls.setdefault(name, {})[NATS_URL_ENV] = self._nats.url_for(name, password)
        return self._nats.url_for(NATS_ADMIN, admin_password)

    def _start_redis(self) -> str:
        self._redis = RedisServer(self.var_dir / "redis")
        self._redis.start()
        return self._redis.url

    def _prepare_services(self) -> None:
        """Assign ports (once: restarts keep them) and build every environment."""
        if not self._services:
            ports = Ports()
            for spec in self.specs:
                http = ports.take(self.public_port if spec.public else None)
                grpc = ports.take() if spec.grpc else None
                self._services[spec.name] = ServiceProcess(spec, http, grpc)
        common = {k: v for k, v in self._parent_env.items() if k not in _PER_SERVICE}
        common[REDIS_URL_ENV] = self._urls[REDIS_URL_ENV]
        common["PYTHONUNBUFFERED"] = "1"
        for service in self._services.values():
            prefix = f"HELPDESK_{service.spec.env_name}"
            common[f"{prefix}_URL"] = service.http_url
            if service.grpc_port is not None:
                common[f"{prefix}_ADDR"] = f"{LOCALHOST}:{service.grpc_port}"
            if service.spec.public and not self._parent_env.get(PUBLIC_URL_ENV):
                common[PUBLIC_URL_ENV] = service.http_url
        ca = CertificateAuthority(self.pki)
        for service in self._services.values():
            spec = service.spec
            service.env = {**common, HTTP_PORT_ENV: str(service.http_port)}
            if spec.database:
                service.env[DATABASE_URL_ENV] = self.own_url(spec.name, DATABASE_URL_ENV)
            if spec.nats is not None:
                service.env[NATS_URL_ENV] = self.own_url(spec.name, NATS_URL_ENV)
            if service.grpc_port is not None:
                service.env[GRPC_PORT_ENV] = str(service.grpc_port)
            service.env[TLS_DIR_ENV] = str(ca.issue(spec.name))
            service.env[SECRET_KEYS_ENV] = self.credentials.secret_keys(spec.name)
            service.log_path = self.log_dir / f"{spec.name}.log"

    def _run(self, spec: ServiceSpec, args: tuple[str, ...]) -> str:
        """Run ``python -m <module> <args>`` to completion; return its stdout."""
        service = self._services[spec.name]
        command = [self.python, "-m", spec.module, *args]
        logger.info("running %s", shlex.join(command))
        try:
            result = subprocess.run(
                command,
                env=service.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{shlex.join(command)} did not finish in {exc.timeout} s") from exc
        stdout = result.stdout.decode("utf-8", errors="replace")
        stderr = result.stderr.decode("utf-8", errors="replace")
        with service.log_path.open("ab") as log:
            log.write(log_header(command))
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise StackError(
                f"{spec.name}: {shlex.join(command)} failed with exit code "
                f"{result.returncode}:\n{stdout}{stderr}"
            )
        if self.echo_setup and args != ("migrate",):
            sys.stdout.write(stdout)
            sys.stdout.flush()
        return stdout

    def _wait_ready(self, services: list[ServiceProcess]) -> None:
        deadline = time.monotonic() + self.ready_timeout
        waiting = list(services)
        while waiting:
            for service in list(waiting):
                code = service.exit_code()
                if code is not None:
                    raise StackError(
                        f"{service.spec.name} exited with code {code} while starting; "
                        f"last lines of {service.log_path}:\n{log_tail(service.log_path)}"
                    )
                if http_ok(service.http_url + service.spec.ready_path):
                    logger.info("%s ready at %s", service.spec.name, service.http_url)
                    waiting.remove(service)
            if waiting and time.monotonic() > deadline:
                raise StackError(_not_ready_report(waiting, self.ready_timeout))
            if waiting:
                time.sleep(_POLL_INTERVAL)

    def _started(self) -> bool:
        servers = (self._postgres, self._nats, self._redis)
        processes = (s.proc for s in self._services.values())
        return any(x is not None for x in (*servers, *processes))

    def _service(self, name: str) -> ServiceProcess:
        if not self._services:
            raise StackError("the stack has not been started")
        try:
            return self._services[name]
        except KeyError:
            raise StackError(f"no service named {name!r}") from None

    def _url(self, key: str) -> str:
        try:
            return self._urls[key]
        except KeyError:
            raise StackError("the stack has not been started") from None


_PER_SERVICE = {
    HTTP_PORT_ENV,
    GRPC_PORT_ENV,
    DATABASE_URL_ENV,
    NATS_URL_ENV,
    TLS_DIR_ENV,
    SECRET_KEYS_ENV,
}
# The NATS account of tools and tests on this machine (services have their own).
NATS_ADMIN = "admin"


def _not_ready_report(waiting: list[ServiceProcess], timeout: float) -> str:
    names = ", ".join(s.spec.name for s in waiting)
    parts = [f"not ready after {timeout:.0f} s: {names}"]
    for service in waiting:
        url = service.http_url + service.spec.ready_path
        parts.append(
            f"--- {service.spec.name} ({url}), last lines of {service.log_path}:\n"
            f"{log_tail(service.log_path)}"
        )
    return "\n".join(parts)
