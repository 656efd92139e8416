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
   ``var_dir``, except those whose URL is already given, each locked down: a
   PostgreSQL role and a NATS user per service (:mod:`helpdesk_devstack.dependencies`);
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

With ``supervise=True`` (what ``make run`` does) a service or server that exits
on its own afterwards is reaped and started again with backoff
(:mod:`helpdesk_devstack.supervision`); :meth:`Stack.stop_service` and
:meth:`Stack.stop_server` stop one on purpose, and supervision leaves it alone until
:meth:`Stack.start_service` / :meth:`Stack.start_server`.

:meth:`Stack.stop` ends supervision, sends SIGTERM to every service, SIGKILLs those
still running after ``stop_timeout`` seconds, then stops Redis, NATS and PostgreSQL.
Data stays in ``var_dir``, so the next start reuses it.

Kept as one module: :class:`Stack` is the one object tests and ``make run`` drive, and
its steps above share its state; the servers, supervision, certificates, credentials
and NATS users are modules of their own.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from helpdesk_devstack.config import (
    DATABASE_URL_ENV,
    NATS_URL_ENV,
    REDIS_URL_ENV,
    ServiceSpec,
    StackError,
    load_config,
)
from helpdesk_devstack.credentials import Credentials
from helpdesk_devstack.dependencies import Dependencies
from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.processes import Ports, ServiceProcess, log_header, not_ready_report, set_environments
from helpdesk_devstack.servers import (
    LOCALHOST,
    NatsServer,
    log_tail,
)
from helpdesk_devstack.servers.process import ChildServer, http_ok
from helpdesk_devstack.supervision import Child, Restart, RestartPolicy, Supervisor

__all__ = ["Restart", "RestartPolicy", "Stack", "StackError", "load_config"]

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
    ``supervise`` restarts what exits on its own once the stack has started
    (``restart_policy``: the pauses; ``reap_orphans``: this process is a child
    subreaper, see :func:`~helpdesk_devstack.proctable.become_subreaper`).
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
        supervise: bool = False,
        restart_policy: RestartPolicy | None = None,
        reap_orphans: bool = False,
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
        self._services: dict[str, ServiceProcess] = {}
        self.credentials = Credentials(self.var_dir / "credentials.json")
        self.pki = self.var_dir / "pki"
        self._deps = Dependencies(
            self.var_dir, self.specs, self.credentials, durable=durable, parent_env=self._parent_env
        )
        self._supervisor = (
            Supervisor(restart_policy or RestartPolicy(), reap_orphans=reap_orphans) if supervise else None
        )

    # -- properties -----------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def database_url(self) -> str:
        """The superuser's URL (tools and tests); services use their own roles."""
        return self._deps.url(DATABASE_URL_ENV)

    @property
    def nats_url(self) -> str:
        """An administrator's URL (tools and tests); services connect as their own users."""
        return self._deps.url(NATS_URL_ENV)

    @property
    def nats_server(self) -> NatsServer:
        """The NATS server this stack started (a test may stop and start it again)."""
        server = self._deps.server("nats")
        assert isinstance(server, NatsServer)
        return server

    def own_url(self, service: str, key: str) -> str:
        """The database or NATS URL (``key``: ``HELPDESK_DATABASE_URL`` / ``_NATS_URL``)
        that ``service`` uses; the shared one when the server is not ours."""
        return self._deps.own_url(service, key)

    @property
    def redis_url(self) -> str:
        return self._deps.url(REDIS_URL_ENV)

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

    def server(self, kind: str) -> ChildServer:
        """The server of ``kind`` (``postgres``, ``nats``, ``redis``) this stack started."""
        return self._deps.server(kind)

    @property
    def restarts(self) -> list[Restart]:
        """What supervision restarted so far, oldest first (empty without supervision)."""
        return list(self._supervisor.restarts) if self._supervisor is not None else []

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
            self._deps.start()
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
            self._supervise()
            ok = True
        finally:
            if not ok:
                self.stop()

    def stop(self) -> None:
        """End supervision, stop all services (SIGTERM, SIGKILL after ``stop_timeout``),
        then the servers."""
        if self._supervisor is not None:
            self._supervisor.stop()
        services = [s for s in reversed(self._services.values()) if s.proc is not None]
        for service in services:
            logger.info("stopping %s", service.spec.name)
            service.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for service in services:
            service.wait(deadline)
        self._deps.stop()

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        """Stop one service: SIGTERM (SIGKILL with ``kill=True``), SIGKILL after a timeout.
        Supervision leaves it stopped until :meth:`start_service`."""
        service = self._service(name)
        if self._supervisor is not None:
            self._supervisor.suspend(name)
        service.signal(signal.SIGKILL if kill else signal.SIGTERM)
        service.wait(time.monotonic() + self.stop_timeout)

    def start_service(self, name: str) -> None:
        """Start one (stopped) service again, same ports and environment, and wait for it."""
        service = self._service(name)
        service.start(self.python, verbose=self.verbose)
        self._wait_ready([service])
        if self._supervisor is not None:
            self._supervisor.resume(name)

    def stop_server(self, kind: str) -> None:
        """Stop PostgreSQL, NATS or Redis; supervision leaves it stopped until :meth:`start_server`."""
        server = self.server(kind)
        if self._supervisor is not None:
            self._supervisor.suspend(kind)
        server.stop()

    def start_server(self, kind: str) -> None:
        """Start a stopped server again, same port and data, and wait until it answers."""
        self.server(kind).start()
        if self._supervisor is not None:
            self._supervisor.resume(kind)

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

    def _supervise(self) -> None:
        if self._supervisor is None:
            return
        for kind, server in self._deps.servers.items():
            self._supervisor.watch(_server_child(kind, server))
        for service in self._services.values():
            self._supervisor.watch(self._service_child(service))
        self._supervisor.start()

    def _service_child(self, service: ServiceProcess) -> Child:
        def restart() -> None:
            service.restart(self.python, verbose=self.verbose)

        return Child(
            name=service.spec.name,
            exit_code=service.exit_code,
            restart=restart,
            started_at=lambda: service.started_at,
            log_path=service.log_path,
        )

    def _prepare_services(self) -> None:
        """Assign ports (once: restarts keep them) and build every environment."""
        if not self._services:
            ports = Ports()
            for spec in self.specs:
                http = ports.take(self.public_port if spec.public else None)
                grpc = ports.take() if spec.grpc else None
                self._services[spec.name] = ServiceProcess(spec, http, grpc)
        set_environments(
            list(self._services.values()),
            parent_env=self._parent_env,
            deps=self._deps,
            ca=CertificateAuthority(self.pki),
            credentials=self.credentials,
            log_dir=self.log_dir,
        )

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
                raise StackError(not_ready_report(waiting, self.ready_timeout))
            if waiting:
                time.sleep(_POLL_INTERVAL)

    def _started(self) -> bool:
        return self._deps.started or any(s.proc is not None for s in self._services.values())

    def _service(self, name: str) -> ServiceProcess:
        if not self._services:
            raise StackError("the stack has not been started")
        try:
            return self._services[name]
        except KeyError:
            raise StackError(f"no service named {name!r}") from None


def _server_child(kind: str, server: ChildServer) -> Child:
    return Child(
        name=kind,
        exit_code=server.exit_code,
        restart=server.recover,
        started_at=lambda: server.started_at,
        log_path=server.log_path,
    )
