"""The process table as Linux shows it in ``/proc``: parents, process groups, zombies.

What supervision needs to clean up after a process that died: the members of its
process group it left behind, and — when the launcher adopts orphans as a child
subreaper — the zombies it must reap.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Proc", "become_subreaper", "group_alive", "processes", "reap_adopted", "working_in"]

logger = logging.getLogger("helpdesk_devstack.proctable")

_PROC = Path("/proc")
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Proc:
    pid: int
    state: str  # R, S, D, Z (zombie), ...
    ppid: int
    pgid: int
    sid: int

    @property
    def is_zombie(self) -> bool:
        return self.state in ("Z", "X")


def _read(pid: int) -> Proc | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return Proc(pid=pid, state=fields[0], ppid=int(fields[1]), pgid=int(fields[2]), sid=int(fields[3]))
    except (IndexError, ValueError):
        return None


def processes() -> Iterator[Proc]:
    """Every process on the machine (those that vanish meanwhile are skipped)."""
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            proc = _read(int(entry.name))
            if proc is not None:
                yield proc


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies hold nothing: they do not count)."""
    return any(p.pgid == pgid and not p.is_zombie for p in processes())


def working_in(directory: Path) -> list[int]:
    """The live processes whose working directory is ``directory`` (PostgreSQL's backends
    work in the cluster's directory, each in a session of its own)."""
    found = []
    for proc in processes():
        if proc.is_zombie:
            continue
        try:
            if Path(os.readlink(_PROC / str(proc.pid) / "cwd")) == directory:
                found.append(proc.pid)
        except OSError:
            continue
    return found


def become_subreaper() -> bool:
    """Makes orphans of our descendants ours instead of init's (Linux ``PR_SET_CHILD_SUBREAPER``).

    A killed postmaster's backends are orphaned; an init that does not reap (a
    container's, a VM's agent) would keep them as zombies for ever. As a subreaper
    the launcher reaps them itself (:func:`reap_adopted`).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def reap_adopted() -> list[int]:
    """Reaps the zombies among our children that we did not start ourselves.

    What we start stays in our session and either leads a process group of its own
    (servers and services) or shares ours (short commands run to completion, which
    reap their own child). An adopted orphan does neither: it is in another session
    (PostgreSQL's backends make their own) or in the group of a dead leader. Only
    those are reaped here, so no waiting ``Popen`` has its child taken away.
    """
    me, own_group, own_session = os.getpid(), os.getpgrp(), os.getsid(0)
    reaped = []
    for proc in processes():
        if proc.ppid != me or not proc.is_zombie:
            continue
        if proc.sid != own_session or proc.pgid not in (proc.pid, own_group):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc.pid, os.WNOHANG)
                reaped.append(proc.pid)
    if reaped:
        logger.info("reaped %d orphaned processes: %s", len(reaped), reaped)
    return reaped
