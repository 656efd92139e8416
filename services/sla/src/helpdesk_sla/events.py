"""The facts sla publishes (stream SLA, subjects ``sla.<Event>``).

Each function builds one event's subject and payload; the use cases record it in
the outbox in the transaction that changed the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.sla.v1 import events_pb2

from helpdesk_kit.streams import subject
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_sla.domain import Clock, ClockState
from helpdesk_sla.wire import KIND_PB, STATE_PB

__all__ = ["SERVICE", "sla_breached", "sla_state_changed", "sla_warning"]

SERVICE = "sla"


def _clock_fields(clock: Clock, unit_id: int, assignee_ids: tuple[int, ...]) -> dict[str, Any]:
    """What a warning and a breach both say: which clock of which ticket, due when, whose."""
    return {
        "ticket_id": clock.ticket_id,
        "clock": KIND_PB[clock.kind],
        "due_at": to_timestamp(clock.due_at),
        "unit_id": unit_id,
        "assignee_ids": assignee_ids,
    }


def sla_breached(
    clock: Clock, unit_id: int, assignee_ids: tuple[int, ...]
) -> tuple[str, events_pb2.SlaBreached]:
    return subject(SERVICE, "SlaBreached"), events_pb2.SlaBreached(
        **_clock_fields(clock, unit_id, assignee_ids)
    )


def sla_warning(
    clock: Clock, unit_id: int, assignee_ids: tuple[int, ...]
) -> tuple[str, events_pb2.SlaWarning]:
    return subject(SERVICE, "SlaWarning"), events_pb2.SlaWarning(
        **_clock_fields(clock, unit_id, assignee_ids)
    )


def sla_state_changed(
    ticket_id: int, state: ClockState, now: datetime
) -> tuple[str, events_pb2.SlaStateChanged]:
    """The ticket's worst clock state changed (tickets keeps it for its list filter)."""
    return subject(SERVICE, "SlaStateChanged"), events_pb2.SlaStateChanged(
        ticket_id=ticket_id, state=STATE_PB[state], occurred_at=to_timestamp(now)
    )
