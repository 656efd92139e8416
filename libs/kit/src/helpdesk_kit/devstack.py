"""One-machine launcher: dependencies plus every service as its own process.

``make run`` runs ``python -m helpdesk_kit.devstack run``; end-to-end tests use
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
   ``HELPDESK_REDIS_URL``;
2. gives every service a free HTTP port (the public one: ``public_port``) and,
   with gRPC, a free gRPC port, and builds its environment: the parent's, plus
   ``HELPDESK_DATABASE_URL``, ``HELPDESK_NATS_URL``, ``HELPDESK_REDIS_URL``,
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

import argparse
import contextlib
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Self, TypeVar

from helpdesk_kit.servers import (
    LOCALHOST,
    NatsServer,
    PostgresServer,
    RedisServer,
    ServerError,
    free_port,
    log_tail,
    port_is_free,
)

__all__ = [
    "DATABASE_URL_ENV",
    "GATEWAY_PORT_ENV",
    "NATS_URL_ENV",
    "REDIS_URL_ENV",
    "ServiceSpec",
    "Stack",
    "StackError",
    "load_config",
    "main",
]

logger = logging.getLogger("helpdesk_kit.devstack")

DATABASE_URL_ENV = "HELPDESK_DATABASE_URL"
NATS_URL_ENV = "HELPDESK_NATS_URL"
REDIS_URL_ENV = "HELPDESK_REDIS_URL"
HTTP_PORT_ENV = "HELPDESK_HTTP_PORT"
GRPC_PORT_ENV = "HELPDESK_GRPC_PORT"
PUBLIC_URL_ENV = "HELPDESK_PUBLIC_URL"
GATEWAY_PORT_ENV = "HELPDESK_GATEWAY_PORT"
DEFAULT_PUBLIC_PORT = 8080

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 600.0
_POLL_INTERVAL = 0.1

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


_T = TypeVar("_T")


class StackError(RuntimeError):
    """The stack could not be configured, started or driven."""


# ----------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ServiceSpec:
    """One ``[[service]]`` entry of the TOML file."""

    name: str
    module: str
    grpc: bool = False
    public: bool = False
    migrate: bool = True
    setup: tuple[tuple[str, ...], ...] = ()
    ready_path: str = "/readyz"

    @property
    def env_name(self) -> str:
        """The NAME in ``HELPDESK_<NAME>_ADDR`` / ``HELPDESK_<NAME>_URL``."""
        return self.name.upper()


_KEYS = {"name", "module", "grpc", "public", "migrate", "setup", "ready_path"}


def load_config(path: Path) -> list[ServiceSpec]:
    """Read and validate the services of a devstack TOML file, in start order."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StackError(f"cannot read {path}: {exc}") from exc
    entries = data.get("service")
    if not isinstance(entries, list) or not entries:
        raise StackError(f"{path}: expected at least one [[service]] table")
    services = [_parse_service(path, i, entry) for i, entry in enumerate(entries)]
    names = [s.name for s in services]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StackError(f"{path}: duplicate service names: {', '.join(duplicates)}")
    if sum(s.public for s in services) > 1:
        raise StackError(f"{path}: more than one service has public = true")
    return services


def _parse_service(path: Path, index: int, raw: object) -> ServiceSpec:
    where = f"{path}: service #{index + 1}"
    if not isinstance(raw, dict):
        raise StackError(f"{where}: expected a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise StackError(f"{where}: unknown keys {sorted(unknown)}")
    name = _typed(raw, "name", str, where, None)
    where = f"{path}: service {name!r}"
    module = _typed(raw, "module", str, where, None)
    if not _NAME.match(name):
        raise StackError(f"{where}: name must match {_NAME.pattern}")
    if not _MODULE.match(module):
        raise StackError(f"{where}: {module!r} is not a module name")
    setup = _typed(raw, "setup", list, where, [])
    if not all(isinstance(cmd, str) and cmd.strip() for cmd in setup):
        raise StackError(f"{where}: setup must be a list of non-empty strings")
    ready_path = _typed(raw, "ready_path", str, where, "/readyz")
    if not ready_path.startswith("/"):
        raise StackError(f"{where}: ready_path must start with '/'")
    return ServiceSpec(
        name=name,
        module=module,
        grpc=_typed(raw, "grpc", bool, where, False),
        public=_typed(raw, "public", bool, where, False),
        migrate=_typed(raw, "migrate", bool, where, True),
        setup=tuple(tuple(shlex.split(cmd)) for cmd in setup),
        ready_path=ready_path,
    )


def _typed(raw: Mapping[str, object], key: str, kind: type[_T], where: str, default: _T | None) -> _T:
    value = raw.get(key, default)
    if value is None:
        raise StackError(f"{where}: {key!r} is required")
    if not isinstance(value, kind):
        raise StackError(f"{where}: {key!r} must be a {kind.__name__}")
    return value


# ----------------------------------------------------------------------------- processes


def _http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (each service leads its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class _Service:
    """One service process: its ports, environment, log and life cycle."""

    def __init__(self, spec: ServiceSpec, http_port: int, grpc_port: int | None) -> None:
        self.spec = spec
        self.http_port = http_port
        self.grpc_port = grpc_port
        self.env: dict[str, str] = {}
        self.log_path = Path()
        self.proc: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    @property
    def http_url(self) -> str:
        return f"http://{LOCALHOST}:{self.http_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, python: str, *, verbose: bool) -> None:
        if self.running:
            return
        command = [python, "-m", self.spec.module, "serve"]
        logger.info("starting %s: %s", self.spec.name, shlex.join(command))
        with self.log_path.open("ab") as log:
            log.write(_log_header(command))
            log.flush()
            self.proc = subprocess.Popen(
                command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if verbose else log,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C reaches only the launcher, which stops
                # the services in order; stop() signals the whole group.
                process_group=0,
            )
        if verbose:
            self._pump = threading.Thread(
                target=_pump_output,
                args=(self.proc.stdout, self.log_path, f"{self.spec.name:>10} | "),
                name=f"devstack-{self.spec.name}-output",
                daemon=True,
            )
            self._pump.start()

    def signal(self, sig: int) -> None:
        if self.running and self.proc is not None:
            _signal_group(self.proc.pid, sig)

    def wait(self, deadline: float) -> None:
        """Wait for the process to exit until ``deadline``; SIGKILL it after that."""
        proc = self.proc
        if proc is None:
            return
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in time; killing it", self.spec.name)
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        # Whatever the service left behind in its process group goes too.
        _signal_group(proc.pid, signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=5)
            self._pump = None
        logger.info("%s stopped (exit code %s)", self.spec.name, proc.returncode)
        self.proc = None

    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None


def _log_header(command: Iterable[str]) -> bytes:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return f"\n=== {stamp} {shlex.join(command)}\n".encode()


def _pump_output(stream: IO[bytes] | None, log_path: Path, prefix: str) -> None:
    """Copy a service's output to its log file and, prefixed, to our stdout."""
    if stream is None:
        return
    with stream, log_path.open("ab") as log:
        for line in iter(stream.readline, b""):
            log.write(line)
            log.flush()
            text = line.decode("utf-8", errors="replace").rstrip("\n")
            sys.stdout.write(f"{prefix}{text}\n")
            sys.stdout.flush()


class _Ports:
    """Hands out free ports, never the same one twice."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def take(self, port: int | None = None) -> int:
        if port is not None:
            if port in self._taken or not port_is_free(port):
                raise StackError(f"port {port} is already in use")
        else:
            port = free_port()
            while port in self._taken:
                port = free_port()
        self._taken.add(port)
        return port


# ----------------------------------------------------------------------------- stack


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
        self._services: dict[str, _Service] = {}

    # -- properties -----------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def database_url(self) -> str:
        return self._url(DATABASE_URL_ENV)

    @property
    def nats_url(self) -> str:
        return self._url(NATS_URL_ENV)

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
        (or :class:`~helpdesk_kit.servers.ServerError`) is raised.
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
        self._postgres = PostgresServer(self.var_dir / "postgres", durable=self.durable)
        self._postgres.start()
        return self._postgres.url

    def _start_nats(self) -> str:
        self._nats = NatsServer(self.var_dir / "nats")
        self._nats.start()
        return self._nats.url

    def _start_redis(self) -> str:
        self._redis = RedisServer(self.var_dir / "redis")
        self._redis.start()
        return self._redis.url

    def _prepare_services(self) -> None:
        """Assign ports (once: restarts keep them) and build every environment."""
        if not self._services:
            ports = _Ports()
            for spec in self.specs:
                http = ports.take(self.public_port if spec.public else None)
                grpc = ports.take() if spec.grpc else None
                self._services[spec.name] = _Service(spec, http, grpc)
        common = {k: v for k, v in self._parent_env.items() if k not in _PER_SERVICE}
        common |= self._urls
        common["PYTHONUNBUFFERED"] = "1"
        for service in self._services.values():
            prefix = f"HELPDESK_{service.spec.env_name}"
            common[f"{prefix}_URL"] = service.http_url
            if service.grpc_port is not None:
                common[f"{prefix}_ADDR"] = f"{LOCALHOST}:{service.grpc_port}"
            if service.spec.public and not self._parent_env.get(PUBLIC_URL_ENV):
                common[PUBLIC_URL_ENV] = service.http_url
        for service in self._services.values():
            service.env = {**common, HTTP_PORT_ENV: str(service.http_port)}
            if service.grpc_port is not None:
                service.env[GRPC_PORT_ENV] = str(service.grpc_port)
            service.log_path = self.log_dir / f"{service.spec.name}.log"

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
            log.write(_log_header(command))
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

    def _wait_ready(self, services: list[_Service]) -> None:
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
                if _http_ok(service.http_url + service.spec.ready_path):
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

    def _service(self, name: str) -> _Service:
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


_PER_SERVICE = {HTTP_PORT_ENV, GRPC_PORT_ENV}


def _not_ready_report(waiting: list[_Service], timeout: float) -> str:
    names = ", ".join(s.spec.name for s in waiting)
    parts = [f"not ready after {timeout:.0f} s: {names}"]
    for service in waiting:
        url = service.http_url + service.spec.ready_path
        parts.append(
            f"--- {service.spec.name} ({url}), last lines of {service.log_path}:\n"
            f"{log_tail(service.log_path)}"
        )
    return "\n".join(parts)


# ----------------------------------------------------------------------------- CLI


def cli_public_port(env: Mapping[str, str]) -> int | None:
    """The public port for ``run``: $HELPDESK_GATEWAY_PORT, else 8080 if free, else any."""
    given = env.get(GATEWAY_PORT_ENV, "")
    if given:
        try:
            return int(given)
        except ValueError:
            raise StackError(f"{GATEWAY_PORT_ENV}={given!r} is not a port number") from None
    if port_is_free(DEFAULT_PUBLIC_PORT):
        return DEFAULT_PUBLIC_PORT
    logger.warning("port %d is taken; the public service gets a free port", DEFAULT_PUBLIC_PORT)
    return None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _summary(stack: Stack) -> str:
    lines = ["", "Services:"]
    for spec in stack.specs:
        grpc = f"  gRPC {stack.grpc_addr(spec.name)}" if spec.grpc else ""
        lines.append(f"  {spec.name:<10} {stack.http_url(spec.name)}{grpc}")
    lines.append(f"Logs: {stack.log_dir}/<service>.log")
    if any(spec.public for spec in stack.specs):
        lines.append(f"\nOpen {stack.gateway_url}  (Ctrl-C stops everything)\n")
    return "\n".join(lines) + "\n"


def _watch(stack: Stack) -> None:
    """Block until interrupted, reporting services that exit on their own."""
    reported: set[str] = set()
    while True:
        for name, code in stack.exited().items():
            if name not in reported:
                reported.add(name)
                logger.error(
                    "%s exited with code %d; last lines of %s:\n%s",
                    name,
                    code,
                    stack.log_path(name),
                    log_tail(stack.log_path(name)),
                )
        time.sleep(1.0)


def run(config: Path, var_dir: Path, *, verbose: bool = False) -> int:
    """``run``: start the stack, wait for Ctrl-C or SIGTERM, stop it. Returns the exit code."""
    previous_term: Any = signal.signal(signal.SIGTERM, _raise_interrupt)
    # Explicitly: a shell starting us in the background leaves SIGINT ignored.
    previous_int: Any = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        return _run(config, var_dir, verbose=verbose)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def _run(config: Path, var_dir: Path, *, verbose: bool) -> int:
    try:
        stack = Stack(
            config,
            var_dir,
            durable=True,
            public_port=cli_public_port(os.environ),
            verbose=verbose,
            echo_setup=True,
        )
        stack.start()  # stops what it started if it fails or is interrupted
    except KeyboardInterrupt:
        return 0
    except (StackError, ServerError) as exc:
        logger.error("%s", exc)
        return 1
    try:
        sys.stdout.write(_summary(stack))
        sys.stdout.flush()
        _watch(stack)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        # A second Ctrl-C must not interrupt the orderly shutdown (it has timeouts).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpdesk_kit.devstack",
        description="Run every service and its dependencies on this machine.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start everything; Ctrl-C stops it")
    run_parser.add_argument("--config", type=Path, default=Path("devstack.toml"))
    run_parser.add_argument("--var-dir", type=Path, default=Path("var"))
    run_parser.add_argument("--verbose", "-v", action="store_true", help="also show service output here")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return run(args.config, args.var_dir, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
