"""Events tickets consumes from sla: the verdict per ticket (``SlaStateChanged``, kept on the
ticket for the lists) and warnings and breaches (``SlaWarning``, ``SlaBreached``: history entries).

The kit's Consumer runs each handler in a unit of work with the inbox row, so a
redelivered event changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Handler, Route
from helpdesk_kit.timestamps import from_timestamp, is_set
from helpdesk_tickets import usecases

CLOCK_STATE = {
    sla_pb2.CLOCK_STATE_OFF: "off",
    sla_pb2.CLOCK_STATE_OK: "ok",
    sla_pb2.CLOCK_STATE_WARNING: "warning",
    sla_pb2.CLOCK_STATE_BREACHED: "breached",
    sla_pb2.CLOCK_STATE_MET: "met",
    sla_pb2.CLOCK_STATE_PENDING: "pending",
}


async def on_sla_state_changed(uow: UnitOfWork, event: Event[sla_events.SlaStateChanged]) -> None:
    state = CLOCK_STATE.get(event.message.state)
    if state is not None:
        await usecases.record_sla_state(uow, event.message.ticket_id, state)


CLOCK_KIND = {
    sla_pb2.CLOCK_KIND_REACTION: "reaction",
    sla_pb2.CLOCK_KIND_WORK: "work",
    sla_pb2.CLOCK_KIND_DEADLINE: "deadline",
}


def _alert(action: str) -> Handler:
    async def on_alert(uow: UnitOfWork, event: Event[Any]) -> None:
        m = event.message
        due = from_timestamp(m.due_at) if is_set(m.due_at) else None
        await usecases.record_sla_alert(uow, m.ticket_id, action, CLOCK_KIND.get(m.clock, "unknown"), due)

    return on_alert


SLA_ROUTES = [
    Route(sla_events.SlaStateChanged, on_sla_state_changed),
    Route(sla_events.SlaWarning, _alert("sla_warning")),
    Route(sla_events.SlaBreached, _alert("sla_breached")),
]
