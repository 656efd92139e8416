"""SLA clocks: the three clocks every ticket gets. No framework imports.

Plans, calendars, limits and the warning/breach timers come with the SLA issue;
for now a ticket's clocks are started without limits (state ``off``), which is
what a ticket whose subject names no plan gets.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ClockKind(enum.StrEnum):
    REACTION = "reaction"
    WORK = "work"
    DEADLINE = "deadline"


class ClockState(enum.StrEnum):
    OFF = "off"
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"


@dataclass
class Clock:
    ticket_id: int
    kind: ClockKind
    limit_seconds: int | None
    used_seconds: int
    running_since: datetime | None
    due_at: datetime | None
    state: ClockState


def start_clocks(*, ticket_id: int, created_at: datetime) -> list[Clock]:
    """Reaction and deadline run from creation; work runs only while the ticket is in work."""
    return [
        Clock(ticket_id, ClockKind.REACTION, None, 0, created_at, None, ClockState.OFF),
        Clock(ticket_id, ClockKind.WORK, None, 0, None, None, ClockState.OFF),
        Clock(ticket_id, ClockKind.DEADLINE, None, 0, created_at, None, ClockState.OFF),
    ]
