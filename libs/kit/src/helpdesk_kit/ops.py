"""``helpdesk.ops.v1.Ops``: what every service with a database answers about itself,
written once here — its consumers' parked events, listed and replayed (``parked``).

A service mounts it with :func:`mount_ops` on its gRPC server, handing over the
consumers it runs (none for a service that consumes nothing: its list is empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import grpc
from helpdesk.ops.v1 import ops_pb2 as pb
from helpdesk.ops.v1 import ops_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, Forbidden, InvalidInput
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.parked import ParkedFilter, list_parked, replay_parked
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_kit.trust import current_user

__all__ = ["OPS_SERVICE", "OpsService", "mount_ops"]

OPS_SERVICE = "helpdesk.ops.v1.Ops"

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def _filter(f: pb.ParkedFilter) -> ParkedFilter:
    return ParkedFilter(ids=tuple(f.ids), consumer=f.consumer, event_type=f.event_type)


def _require_admin() -> None:
    if not current_user().is_admin:
        raise Forbidden("Only an administrator may do this.")


class OpsService(pb_grpc.OpsServicer):
    def __init__(self, *, db: Database, consumers: Iterable[Consumer]) -> None:
        self._db = db
        self._consumers = {c.name: c for c in consumers}

    async def ListParked(self, request: pb.ListParkedRequest, context: Context) -> pb.ListParkedResponse:
        _require_admin()
        rows = await list_parked(
            self._db,
            where=_filter(request.filter),
            limit=request.limit or 50,
            before_id=request.before_id or None,
        )
        return pb.ListParkedResponse(
            events=[
                pb.ParkedEvent(
                    id=p.id,
                    consumer=p.consumer,
                    event_id=p.event_id,
                    subject=p.subject,
                    event_type=p.event_type,
                    error=p.error,
                    deliveries=p.deliveries,
                    created_at=to_timestamp(p.created_at),
                )
                for p in rows
            ]
        )

    async def ReplayParked(
        self, request: pb.ReplayParkedRequest, context: Context
    ) -> pb.ReplayParkedResponse:
        _require_admin()
        where = _filter(request.filter)
        if where.is_empty:
            raise InvalidInput(
                "Which parked events?", errors=[FieldError("ids", "name events, a consumer or an event type")]
            )
        result = await replay_parked(self._db, self._consumers, where=where)
        return pb.ReplayParkedResponse(
            replayed=result.replayed,
            failed=[pb.ReplayFailure(id=i, error=e) for i, e in result.failed],
        )


def mount_ops(server: GrpcServer, *, db: Database, consumers: Iterable[Consumer]) -> None:
    """Adds the Ops service to ``server`` (list it in the server's ``service_names`` for health)."""
    pb_grpc.add_OpsServicer_to_server(OpsService(db=db, consumers=consumers), server.server)
