"""Events tickets consumes: the SLA service's verdict per ticket (``sla.SlaStateChanged``).

The kit's Consumer runs each handler in a unit of work with the inbox row, so a
redelivered event changes nothing twice.
"""

from __future__ import annotations

from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.sla.v1 import sla_pb2

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Route
from helpdesk_tickets import usecases

CLOCK_STATE = {
    sla_pb2.CLOCK_STATE_OFF: "off",
    sla_pb2.CLOCK_STATE_OK: "ok",
    sla_pb2.CLOCK_STATE_WARNING: "warning",
    sla_pb2.CLOCK_STATE_BREACHED: "breached",
    sla_pb2.CLOCK_STATE_MET: "met",
}


async def on_sla_state_changed(uow: UnitOfWork, event: Event[sla_events.SlaStateChanged]) -> None:
    state = CLOCK_STATE.get(event.message.state)
    if state is not None:
        await usecases.record_sla_state(uow, event.message.ticket_id, state)


SLA_ROUTES = [Route(sla_events.SlaStateChanged, on_sla_state_changed)]
