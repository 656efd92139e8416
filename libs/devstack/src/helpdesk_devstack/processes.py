"""One service of the stack as a process: its ports, environment, log and life cycle."""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

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
)
from helpdesk_devstack.credentials import Credentials
from helpdesk_devstack.dependencies import Dependencies
from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.servers import LOCALHOST, free_port, log_tail, port_is_free
from helpdesk_devstack.servers.process import kill_group

__all__ = ["Ports", "ServiceProcess", "log_header", "not_ready_report", "set_environments"]

logger = logging.getLogger("helpdesk_devstack.stack")


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (each service leads its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class ServiceProcess:
    """One service process: its ports, environment, log and life cycle."""

    def __init__(self, spec: ServiceSpec, http_port: int, grpc_port: int | None) -> None:
        self.spec = spec
        self.http_port = http_port
        self.grpc_port = grpc_port
        self.env: dict[str, str] = {}
        self.log_path = Path()
        self.proc: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None
        #: ``time.monotonic()`` of the last start (how long it ran before it died).
        self.started_at = 0.0

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
            log.write(log_header(command))
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
        self.started_at = time.monotonic()
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
        """The exit code once the process has ended (reaping it), else None."""
        return self.proc.poll() if self.proc is not None else None

    def restart(self, python: str, *, verbose: bool) -> None:
        """Starts a service that ended on its own again, same ports and environment, once
        it is reaped and whatever it left in its process group is gone."""
        proc = self.proc
        self.wait(time.monotonic())
        if proc is not None:
            kill_group(proc.pid)
        self.start(python, verbose=verbose)


# Set for each service on its own, never passed down from the parent environment.
_PER_SERVICE = {
    HTTP_PORT_ENV,
    GRPC_PORT_ENV,
    DATABASE_URL_ENV,
    NATS_URL_ENV,
    TLS_DIR_ENV,
    SECRET_KEYS_ENV,
}


def set_environments(
    services: list[ServiceProcess],
    *,
    parent_env: Mapping[str, str],
    deps: Dependencies,
    ca: CertificateAuthority,
    credentials: Credentials,
    log_dir: Path,
) -> None:
    """Every service's environment and log file (see :mod:`helpdesk_devstack.stack`, step 2)."""
    common = {k: v for k, v in parent_env.items() if k not in _PER_SERVICE}
    common[REDIS_URL_ENV] = deps.url(REDIS_URL_ENV)
    common["PYTHONUNBUFFERED"] = "1"
    for service in services:
        prefix = f"HELPDESK_{service.spec.env_name}"
        common[f"{prefix}_URL"] = service.http_url
        if service.grpc_port is not None:
            common[f"{prefix}_ADDR"] = f"{LOCALHOST}:{service.grpc_port}"
        if service.spec.public and not parent_env.get(PUBLIC_URL_ENV):
            common[PUBLIC_URL_ENV] = service.http_url
    for service in services:
        spec = service.spec
        service.env = {**common, HTTP_PORT_ENV: str(service.http_port)}
        if spec.database:
            service.env[DATABASE_URL_ENV] = deps.own_url(spec.name, DATABASE_URL_ENV)
        if spec.nats is not None:
            service.env[NATS_URL_ENV] = deps.own_url(spec.name, NATS_URL_ENV)
        if service.grpc_port is not None:
            service.env[GRPC_PORT_ENV] = str(service.grpc_port)
        service.env[TLS_DIR_ENV] = str(ca.issue(spec.name))
        service.env[SECRET_KEYS_ENV] = credentials.secret_keys(spec.name)
        service.log_path = log_dir / f"{spec.name}.log"


def not_ready_report(waiting: list[ServiceProcess], timeout: float) -> str:
    names = ", ".join(s.spec.name for s in waiting)
    parts = [f"not ready after {timeout:.0f} s: {names}"]
    for service in waiting:
        url = service.http_url + service.spec.ready_path
        parts.append(
            f"--- {service.spec.name} ({url}), last lines of {service.log_path}:\n"
            f"{log_tail(service.log_path)}"
        )
    return "\n".join(parts)


def log_header(command: Iterable[str]) -> bytes:
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


class Ports:
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
