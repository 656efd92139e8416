"""Domain ⇄ protobuf: sla's clock kinds and states as gRPC answers and events carry them."""

from __future__ import annotations

from helpdesk.sla.v1 import sla_pb2

from helpdesk_sla.domain import ClockKind, ClockState

__all__ = ["KIND_PB", "STATE_PB"]

KIND_PB = {
    ClockKind.REACTION: sla_pb2.CLOCK_KIND_REACTION,
    ClockKind.WORK: sla_pb2.CLOCK_KIND_WORK,
    ClockKind.DEADLINE: sla_pb2.CLOCK_KIND_DEADLINE,
}
STATE_PB = {
    ClockState.OFF: sla_pb2.CLOCK_STATE_OFF,
    ClockState.OK: sla_pb2.CLOCK_STATE_OK,
    ClockState.WARNING: sla_pb2.CLOCK_STATE_WARNING,
    ClockState.BREACHED: sla_pb2.CLOCK_STATE_BREACHED,
    ClockState.PENDING: sla_pb2.CLOCK_STATE_PENDING,
    ClockState.MET: sla_pb2.CLOCK_STATE_MET,
}
