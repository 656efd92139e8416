"""Giving the C heap's free pages back to the system once a process has started.

Starting a service allocates far more than it keeps: importing the code, building the
routes and models, opening channels leave the C heap (glibc's malloc) full of freed
blocks, which glibc keeps in the process — returned only from the very top of the heap.
``malloc_trim(0)`` hands every wholly free page back. Once, a few seconds after the
start (:meth:`helpdesk_kit.runtime.Lifecycle.run_until_stopped`), it took the gateway's
idle RSS down by about 10 MB (bench/RESULTS.md § The gateway's hot path and idle memory);
at that moment it costs a few milliseconds and nothing later. Where the C library is not
glibc (no ``malloc_trim``), nothing is done.
"""

from __future__ import annotations

import ctypes

__all__ = ["release_free_memory"]


def release_free_memory() -> bool:
    """Returns the C heap's wholly free pages to the system: True if some were, False if
    none were or the C library cannot (not glibc)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):
        return False
    return bool(trim(0))
