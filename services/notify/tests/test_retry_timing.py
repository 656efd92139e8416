"""Retry timing without a server: the horizon counted in time, and the channel circuit."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from helpdesk_notify import domain
from helpdesk_notify.domain import Circuit, RetryPolicy

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(horizon_seconds=24 * 3600, base_seconds=5, cap_seconds=3600)


def test_a_delivery_is_retried_until_a_day_after_its_first_attempt_however_many_attempts() -> None:
    rng = random.Random(1)
    early = domain.next_try(POLICY, attempts=500, first_attempt_at=T0, now=T0 + timedelta(hours=3), rng=rng)
    assert early is not None and 1800 <= early <= 3600
    late = domain.next_try(POLICY, attempts=2, first_attempt_at=T0, now=T0 + timedelta(hours=24), rng=rng)
    assert late is None


def test_the_last_retry_falls_on_the_horizon_not_after_it() -> None:
    now = T0 + timedelta(hours=23, minutes=59)
    wait = domain.next_try(POLICY, attempts=30, first_attempt_at=T0, now=now, rng=random.Random(2))
    assert wait == 60.0


def test_a_first_failure_starts_the_horizon() -> None:
    wait = domain.next_try(POLICY, attempts=1, first_attempt_at=None, now=T0, rng=random.Random(3))
    assert wait is not None and 2.5 <= wait <= 5


def test_the_circuit_pauses_longer_after_each_failure_in_a_row_and_closes_on_success() -> None:
    now = [100.0]
    circuit = Circuit(base=2, cap=300, clock=lambda: now[0], rng=random.Random(4))
    pauses = [circuit.trip() for _ in range(10)]
    assert pauses[0] <= 2 and pauses[3] > pauses[0] and max(pauses) <= 300
    assert circuit.remaining() == pauses[-1]
    now[0] += pauses[-1]
    assert circuit.remaining() == 0 and circuit.is_open
    circuit.close()
    assert not circuit.is_open and 1 <= circuit.trip() <= 2


def test_a_rate_limit_pauses_the_circuit_at_least_for_its_retry_after() -> None:
    circuit = Circuit(base=2, cap=300, clock=lambda: 0.0, rng=random.Random(5))
    assert circuit.trip(at_least=42) == 42
