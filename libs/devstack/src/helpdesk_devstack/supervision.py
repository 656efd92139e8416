"""Supervision of the one-machine stack: what exits on its own is reaped and started again.

:class:`Supervisor` watches the stack's servers (PostgreSQL, NATS, Redis) and
service processes from a thread of its own, every ``interval`` seconds. A process
that ended without being asked to is reaped at once (no zombie stays behind), what
it left in its process group is killed, and it is started again — same ports, same
data, same environment — after a pause: 1 s, doubling with each exit in a row up to
30 s, and back to 1 s once it had run for a stable minute (:class:`RestartPolicy`).
A server that cannot start yet is tried again on the same schedule.

With ``reap_orphans`` (the launcher, once it made itself a child subreaper) each
round also reaps the orphans it adopted: a killed postmaster's backends, for one.

Every exit and every restart is logged (the launcher's log goes to the terminal),
noted in the process's own log file and kept in :attr:`Supervisor.restarts`. A
process stopped on purpose is left alone: :meth:`Supervisor.suspend` before stopping
it, :meth:`Supervisor.resume` once it runs again (``Stack.stop_service`` and
``start_service`` do both).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpdesk_devstack.config import StackError
from helpdesk_devstack.proctable import reap_adopted
from helpdesk_devstack.servers import ServerError, log_tail

__all__ = ["Child", "Restart", "RestartPolicy", "Supervisor"]

logger = logging.getLogger("helpdesk_devstack.supervision")


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before starting a process again."""

    #: The first pause, in seconds; each exit in a row doubles it ...
    initial: float = 1.0
    #: ... up to this many seconds.
    cap: float = 30.0
    #: A process that ran this long before it ended starts the doubling afresh.
    stable_after: float = 60.0

    def pause(self, exits_in_a_row: int) -> float:
        """The pause after the ``exits_in_a_row``-th exit in a row (1 = the first)."""
        return float(min(self.initial * 2 ** max(exits_in_a_row - 1, 0), self.cap))


@dataclass(frozen=True)
class Child:
    """One supervised process, as the supervisor sees it."""

    name: str
    #: The exit code once it has ended on its own (and reaped it), else None.
    exit_code: Callable[[], int | None]
    #: Starts it again; raises ServerError / StackError / OSError if it cannot (yet).
    restart: Callable[[], None]
    #: ``time.monotonic()`` of its last start.
    started_at: Callable[[], float]
    #: Where its output goes (the restart is noted there too).
    log_path: Path


@dataclass(frozen=True)
class Restart:
    """One exit and what followed."""

    name: str
    exit_code: int
    #: ``time.time()`` when the exit was noticed, and when the process was running again.
    exited_at: float
    restarted_at: float
    #: Exits in a row, this one included (1 after a stable run).
    attempt: int


@dataclass
class _State:
    exits_in_a_row: int = 0
    due: float | None = None  # monotonic time of the pending restart
    exit_code: int = 0
    exited_at: float = 0.0


@dataclass
class Supervisor:
    """Restarts the children that end on their own; see the module docstring."""

    policy: RestartPolicy = field(default_factory=RestartPolicy)
    interval: float = 0.25
    reap_orphans: bool = False
    restarts: list[Restart] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._children: dict[str, Child] = {}
        self._states: dict[str, _State] = {}
        self._suspended: set[str] = set()
        # Held while checking and restarting: suspend() waits for a restart in progress,
        # so a process being stopped on purpose is never started again behind one's back.
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, child: Child) -> None:
        with self._lock:
            self._children[child.name] = child
            self._states[child.name] = _State()

    def suspend(self, name: str) -> None:
        """Leave ``name`` alone (it is about to be stopped on purpose) until :meth:`resume`."""
        with self._lock:
            self._suspended.add(name)
            if name in self._states:
                self._states[name] = _State()

    def resume(self, name: str) -> None:
        with self._lock:
            self._suspended.discard(name)

    def start(self) -> None:
        """Checks every ``interval`` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="devstack-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops watching; returns once a restart in progress has finished."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            self.check()

    def check(self) -> None:
        """One round: notice exits, restart what is due."""
        with self._lock:
            if self.reap_orphans:
                reap_adopted()
            for name, child in self._children.items():
                if name in self._suspended or self._stopping.is_set():
                    continue
                state = self._states[name]
                if state.due is None:
                    self._notice_exit(child, state)
                if state.due is not None and time.monotonic() >= state.due:
                    self._restart(child, state)
                    if self.reap_orphans:
                        reap_adopted()  # what the dead one left, killed while restarting it

    def _notice_exit(self, child: Child, state: _State) -> None:
        code = child.exit_code()
        if code is None:
            return
        ran_for = time.monotonic() - child.started_at()
        if ran_for >= self.policy.stable_after:
            state.exits_in_a_row = 0
        state.exits_in_a_row += 1
        pause = self.policy.pause(state.exits_in_a_row)
        state.due = time.monotonic() + pause
        state.exit_code = code
        state.exited_at = time.time()
        logger.warning(
            "%s exited with code %d after %.1f s; starting it again in %.1f s (exit %d in a row)"
            "; last lines of %s:\n%s",
            child.name,
            code,
            ran_for,
            pause,
            state.exits_in_a_row,
            child.log_path,
            log_tail(child.log_path, 15),
        )
        _note(child.log_path, f"exited with code {code}; the launcher starts it again in {pause:.1f} s")

    def _restart(self, child: Child, state: _State) -> None:
        try:
            child.restart()
        except (ServerError, StackError, OSError, subprocess.SubprocessError) as exc:
            state.exits_in_a_row += 1
            pause = self.policy.pause(state.exits_in_a_row)
            state.due = time.monotonic() + pause
            logger.error("%s could not be started again (%s); next try in %.1f s", child.name, exc, pause)
            return
        record = Restart(
            name=child.name,
            exit_code=state.exit_code,
            exited_at=state.exited_at,
            restarted_at=time.time(),
            attempt=state.exits_in_a_row,
        )
        self.restarts.append(record)
        state.due = None
        logger.warning(
            "%s started again, %.1f s after it exited (restart %d in a row)",
            child.name,
            record.restarted_at - record.exited_at,
            record.attempt,
        )


def _note(path: Path, what: str) -> None:
    """A line in the process's own log, where whoever reads it looks for why it restarted."""
    try:
        with path.open("a", encoding="utf-8") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {what}\n")
    except OSError as exc:
        logger.debug("could not note the restart in %s: %s", path, exc)
