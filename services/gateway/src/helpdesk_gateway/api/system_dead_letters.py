"""``/api/v1/system/dead-letters``: the events each service's consumers parked, for admins,
listed with the reason and replayed — through the kit's ``helpdesk.ops.v1.Ops`` that every
service with a database serves. Handlers translate HTTP ⇄ gRPC; the service checks again.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from helpdesk.ops.v1 import ops_pb2 as pb
from helpdesk.ops.v1 import ops_pb2_grpc as pb_grpc
from pydantic import Field

from helpdesk_gateway.api.models.system import ParkedEvent, ParkedEventList, ParkedReplay, ReplayFailure
from helpdesk_gateway.api.shapes import Strict, api_router, clients, ts
from helpdesk_gateway.api.values import LINE, MAX_ID, Id, line
from helpdesk_gateway.auth import AdminDep

router = api_router(prefix="/api/v1")

Service = Literal["identity", "tickets", "sla", "notify"]
REPLAY_DEADLINE_SECONDS = 120.0


def _stub(request: Request, service: str) -> pb_grpc.OpsAsyncStub:
    stub: pb_grpc.OpsAsyncStub = pb_grpc.OpsStub(clients(request).channels[service])
    return stub


@router.get("/system/dead-letters")
async def parked_events(
    admin: AdminDep,
    request: Request,
    service: Service,
    limit: Annotated[int, Query(description="clamped into 1-200")] = 50,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    consumer: Annotated[str | None, Query(max_length=100, pattern=LINE)] = None,
    event_type: Annotated[str | None, Query(max_length=200, pattern=LINE)] = None,
) -> ParkedEventList:
    """A service's parked events, newest first."""
    limit = min(max(limit, 1), 200)
    resp = await _stub(request, service).ListParked(
        pb.ListParkedRequest(
            filter=pb.ParkedFilter(consumer=consumer or "", event_type=event_type or ""),
            limit=limit,
            before_id=cursor or 0,
        )
    )
    items = [
        ParkedEvent.of(
            id=e.id,
            service=service,
            consumer=e.consumer,
            event_id=e.event_id,
            subject=e.subject,
            event_type=e.event_type,
            error=e.error,
            deliveries=e.deliveries,
            created_at=ts(e.created_at),
        )
        for e in resp.events
    ]
    return ParkedEventList.of(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


class ReplayParkedIn(Strict):
    service: Service
    ids: list[Id] = Field(default_factory=list, max_length=1000)
    consumer: str | None = line(100, default=None)
    event_type: str | None = line(200, default=None)


@router.post("/system/dead-letters/replay")
async def replay_parked_events(body: ReplayParkedIn, admin: AdminDep, request: Request) -> ParkedReplay:
    """Replays the parked events named, or every one of a consumer and/or event type: each is
    applied once (or found applied already); those that fail again stay parked."""
    # One transaction per event, handlers that may ask other services: more than the
    # default deadline when a filter picks many (a replay cut short is safe to repeat).
    resp = await _stub(request, body.service).ReplayParked(
        pb.ReplayParkedRequest(
            filter=pb.ParkedFilter(
                ids=body.ids, consumer=body.consumer or "", event_type=body.event_type or ""
            ),
        )
    )
    return ParkedReplay.of(
        replayed=list(resp.replayed), failed=[ReplayFailure.of(id=f.id, error=f.error) for f in resp.failed]
    )
