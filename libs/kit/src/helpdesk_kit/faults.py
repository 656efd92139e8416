"""Which failures pass with time: the one place that sorts errors into transient and the rest,
and how long a consumer waits before it tries an event again.

A transient failure is a dependency that is away for now — PostgreSQL restarting or
refusing connections, NATS reconnecting, another service unavailable, a timeout, a
network error. Retrying it later is the right answer, however often. Anything else
(a bad event, a rule refusing it, a bug) will fail the same way next time.
"""

from __future__ import annotations

import random

import asyncpg
from nats.errors import Error as NatsError

from helpdesk_kit.errors import Unavailable

__all__ = ["TRANSIENT", "backoff_seconds", "is_transient", "transient_delay"]

TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset, unreachable host, TLS
    TimeoutError,
    NatsError,
    Unavailable,  # another service (gRPC UNAVAILABLE, deadline exceeded...) or LDAP, S3
    asyncpg.PostgresConnectionError,  # class 08: connection lost or refused
    asyncpg.InterfaceError,  # the connection was closed under us
    asyncpg.exceptions.OperatorInterventionError,  # 57P: shutting down, starting up, cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40: serialization failure, deadlock
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may pass if the same work is simply tried again later."""
    return isinstance(exc, TRANSIENT)


def backoff_seconds(deliveries: int) -> float:
    return float(min(2 ** max(deliveries - 1, 0), 60))


def transient_delay(deliveries: int, *, cap: float) -> float:
    """1 s, doubling, capped at ``cap``, with jitter: replicas recovering together spread out."""
    ceiling = min(2.0 ** max(deliveries - 1, 0), cap)
    return ceiling * (0.5 + random.random() / 2)
