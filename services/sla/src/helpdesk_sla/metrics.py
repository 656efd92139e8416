"""The sla service's own Prometheus metrics: what it announced, and how late its timers are.

Breaches and warnings are counted when the transaction that publishes them (through
the outbox) commits, whether a timer or a ticket event caused them; one increment per
``SlaBreached`` / ``SlaWarning`` event, labelled with the clock (reaction, work, deadline).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

BREACHES = Counter("sla_breaches", "SlaBreached events published", ["clock"])
WARNINGS = Counter("sla_warnings", "SlaWarning events published", ["clock"])
OVERDUE = Gauge(
    "sla_timers_overdue_seconds",
    "How far the earliest warning or due moment not yet fired lies in the past (0: none)",
)
