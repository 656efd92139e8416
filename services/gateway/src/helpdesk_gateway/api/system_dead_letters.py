"""``/api/v1/system/dead-letters``: the events each service's consumers parked, for admins,
listed with the reason and replayed — through the kit's ``helpdesk.ops.v1.Ops`` that every
service with a database serves. Handlers translate HTTP ⇄ gRPC; the service checks again.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from helpdesk.ops.v1 import ops_pb2 as pb
from helpdesk.ops.v1 import ops_pb2_grpc as pb_grpc
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.auth import AdminDep

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)

Service = Literal["identity", "tickets", "sla", "notify"]
REPLAY_DEADLINE_SECONDS = 120.0


def _stub(request: Request, service: str) -> pb_grpc.OpsAsyncStub:
    stub: pb_grpc.OpsAsyncStub = pb_grpc.OpsStub(clients(request).channels[service])
    return stub


@router.get("/system/dead-letters", response_model=None)
async def parked_events(
    admin: AdminDep,
    request: Request,
    service: Service,
    limit: int = 50,
    cursor: int | None = None,
    consumer: str | None = Query(default=None, max_length=100),
    event_type: str | None = Query(default=None, max_length=200),
) -> dict[str, Any]:
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
        {
            "id": e.id,
            "service": service,
            "consumer": e.consumer,
            "event_id": e.event_id,
            "subject": e.subject,
            "event_type": e.event_type,
            "error": e.error,
            "deliveries": e.deliveries,
            "created_at": ts(e.created_at),
        }
        for e in resp.events
    ]
    return page(items, str(items[-1]["id"]) if len(items) == limit else None)


class ReplayParkedIn(Strict):
    service: Service
    ids: list[int] = Field(default_factory=list, max_length=1000)
    consumer: str | None = Field(default=None, max_length=100)
    event_type: str | None = Field(default=None, max_length=200)


@router.post("/system/dead-letters/replay", response_model=None)
async def replay_parked_events(body: ReplayParkedIn, admin: AdminDep, request: Request) -> dict[str, Any]:
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
    return {"replayed": list(resp.replayed), "failed": [{"id": f.id, "error": f.error} for f in resp.failed]}
