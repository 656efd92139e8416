"""gRPC ⇄ use cases for helpdesk.sla.v1.Sla."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeAlias

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.sla.v1 import sla_pb2 as pb
from helpdesk.sla.v1 import sla_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_sla import usecases
from helpdesk_sla.domain import Clock, ClockKind, ClockState

_KIND = {
    ClockKind.REACTION: pb.CLOCK_KIND_REACTION,
    ClockKind.WORK: pb.CLOCK_KIND_WORK,
    ClockKind.DEADLINE: pb.CLOCK_KIND_DEADLINE,
}
_STATE = {
    ClockState.OFF: pb.CLOCK_STATE_OFF,
    ClockState.OK: pb.CLOCK_STATE_OK,
    ClockState.WARNING: pb.CLOCK_STATE_WARNING,
    ClockState.BREACHED: pb.CLOCK_STATE_BREACHED,
    ClockState.MET: pb.CLOCK_STATE_MET,
}


def clock_to_pb(c: Clock) -> pb.Clock:
    due = None
    if c.due_at is not None:
        due = Timestamp()
        due.FromDatetime(c.due_at)
    return pb.Clock(
        kind=_KIND[c.kind],
        limit_seconds=c.limit_seconds or 0,
        used_seconds=c.used_seconds,
        due_at=due,
        state=_STATE[c.state],
        is_running=c.running_since is not None,
    )


Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class SlaService(pb_grpc.SlaServicer):
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def GetClocks(self, request: pb.GetClocksRequest, context: Context) -> pb.GetClocksResponse:
        by_ticket: dict[int, list[pb.Clock]] = defaultdict(list)
        for clock in await usecases.clocks_of(db=self._db, ticket_ids=list(request.ticket_ids)):
            by_ticket[clock.ticket_id].append(clock_to_pb(clock))
        return pb.GetClocksResponse(
            tickets=[pb.TicketClocks(ticket_id=t, clocks=c) for t, c in by_ticket.items()]
        )
