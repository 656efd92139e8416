"""The life cycle every server shares: a child process, its log file, readiness, stop.

:class:`ChildServer` is the base of the PostgreSQL, NATS and Redis servers; the
functions here are what they (and the launcher) need around processes and ports.
A server that dies on its own is noticed by :meth:`ChildServer.exit_code` (which
reaps it) and brought back by :meth:`ChildServer.recover` (what the launcher's
supervision calls).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from helpdesk_devstack.proctable import group_alive

__all__ = [
    "LOCALHOST",
    "START_TIMEOUT",
    "STOP_TIMEOUT",
    "ChildServer",
    "ServerError",
    "free_port",
    "http_ok",
    "kill_all",
    "kill_group",
    "log_tail",
    "package_dir",
    "port_is_free",
    "terminate",
    "venv_binary",
]

logger = logging.getLogger("helpdesk_devstack.servers")

LOCALHOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_POLL_INTERVAL = 0.05


class ServerError(RuntimeError):
    """A server could not be started, stopped or queried."""


def free_port(host: str = LOCALHOST) -> int:
    """Return a TCP port that is free on ``host`` right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "0.0.0.0") -> bool:
    """Whether a server could listen on ``port`` (checked on all addresses by default)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers set SO_REUSEADDR, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def venv_binary(name: str, *fallbacks: Path) -> Path:
    """Find an executable installed in the running interpreter's environment."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / name,
        Path(sys.executable).parent / name,
        *fallbacks,
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    raise ServerError(f"{name} not found (looked in {', '.join(map(str, candidates))} and PATH)")


def package_dir(package: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServerError(f"Python package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def kill_group(pgid: int, *, timeout: float = 10.0) -> None:
    """SIGKILL every process left in group ``pgid`` and wait until none of them runs.

    Each server and service leads a process group of its own; when its leader dies,
    its children (PostgreSQL's backends, for one) stay behind in the group. A
    process group id is never handed out again while a member lives, so this reaches
    only what the dead leader left. Zombies count as gone: they hold nothing.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            raise ServerError(f"processes of group {pgid} still run {timeout:.0f} s after SIGKILL")
        time.sleep(_POLL_INTERVAL)


def kill_all(find: Callable[[], list[int]], *, what: str, timeout: float = 10.0) -> None:
    """SIGKILL the processes ``find()`` names until it names none."""
    deadline = time.monotonic() + timeout
    while pids := find():
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise ServerError(f"{what} still run {timeout:.0f} s after SIGKILL: {pids}")
        time.sleep(_POLL_INTERVAL)


def terminate(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Send ``sig`` to ``proc``, wait up to ``timeout`` seconds, then SIGKILL it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        logger.warning("pid %d did not exit %.0f s after signal %d; killing it", proc.pid, timeout, sig)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


class ChildServer:
    """Common life cycle: a child process, a log file, readiness polling, stop."""

    kind = "server"
    #: The signal that asks the server to shut down cleanly.
    stop_signal: int = signal.SIGTERM

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port if port is not None else free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        #: ``time.monotonic()`` of the last start (how long it ran before it died).
        self.started_at = 0.0

    # -- to be provided by subclasses -------------------------------------------------

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Create/initialise the data directory (runs before the process starts)."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _popen_kwargs(self) -> dict[str, Any]:
        return {}

    def _is_ready(self) -> bool:
        raise NotImplementedError

    def _after_start(self) -> None:
        """Runs once the server accepts connections."""

    def _shutdown(self, proc: subprocess.Popen[bytes]) -> None:
        terminate(proc, self.stop_signal, STOP_TIMEOUT)

    def _kill_leftovers(self, pid: int) -> None:
        """Kills what the dead process ``pid`` left running (its process group) and waits."""
        kill_group(pid)

    def _clear_after_crash(self, pid: int) -> None:
        """Removes what the process ``pid``, dead without shutting down, left that would stop
        a new start (runs after everything of its process group has gone)."""

    # -- public API ---------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        """The file the server's stdout and stderr go to."""
        return self.data_dir / f"{self.kind}.log"

    @property
    def pid(self) -> int | None:
        """The pid of the server process while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def exit_code(self) -> int | None:
        """The exit code if the server ended on its own (reaping it: no zombie stays
        behind); None while it runs, and after :meth:`stop`."""
        proc = self._proc
        return proc.poll() if proc is not None else None

    def recover(self) -> None:
        """Starts a server that ended on its own again, on the same port and data.

        What the dead process left is cleared first: what it left running is killed and
        waited for (:meth:`_kill_leftovers`), then :meth:`_clear_after_crash`
        (PostgreSQL's pid file).
        Raises :class:`ServerError` if it cannot start (try again later).
        """
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                raise ServerError(f"{self.kind} (pid {proc.pid}) is still running")
            self._proc = None
            self._kill_leftovers(proc.pid)
            self._clear_after_crash(proc.pid)
        self.start()

    def start(self) -> None:
        """Start the server and block until it accepts connections.

        Raises :class:`ServerError` (with the tail of the server's log) if it does
        not become ready within ``START_TIMEOUT`` seconds; nothing is left running.
        """
        if self.running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare()
        command = self._command()
        logger.info("starting %s on port %d: %s", self.kind, self.port, shlex.join(command))
        with self.log_path.open("ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting\n".encode())
            log.flush()
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: a Ctrl-C in the terminal reaches only the
                # launcher, which then stops the servers in order.
                process_group=0,
                **self._popen_kwargs(),
            )
        self._proc = proc
        self.started_at = time.monotonic()
        ok = False
        try:
            self._wait_ready(proc)
            self._after_start()
            ok = True
        finally:
            if not ok:
                self._proc = None
                terminate(proc, self.stop_signal, 5.0)
        logger.info("%s ready at %s (pid %d)", self.kind, self.url, proc.pid)

    def stop(self) -> None:
        """Stop the server gracefully (SIGKILL after a timeout). No-op if not running."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            logger.info("stopping %s (pid %d)", self.kind, proc.pid)
            self._shutdown(proc)
        logger.info("%s stopped (exit code %s)", self.kind, proc.returncode)

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

    # -- helpers ------------------------------------------------------------------------

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            code = proc.poll()
            if code is not None:
                raise self._error(f"exited with code {code} while starting")
            if self._is_ready():
                return
            if time.monotonic() > deadline:
                raise self._error(f"did not accept connections within {START_TIMEOUT:.0f} s")
            time.sleep(_POLL_INTERVAL)

    def _error(self, what: str) -> ServerError:
        return ServerError(
            f"{self.kind} on port {self.port} {what}; last lines of {self.log_path}:\n"
            f"{log_tail(self.log_path)}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data_dir={str(self.data_dir)!r}, port={self.port})"


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether ``GET url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False
