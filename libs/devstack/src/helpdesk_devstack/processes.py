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
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from helpdesk_devstack.config import ServiceSpec, StackError
from helpdesk_devstack.servers import LOCALHOST, free_port, port_is_free

__all__ = ["Ports", "ServiceProcess", "log_header"]

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
