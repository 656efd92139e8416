"""gRPC ⇄ use cases for helpdesk.notify.v1.Notify."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from helpdesk.notify.v1 import notify_pb2 as pb
from helpdesk.notify.v1 import notify_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_notify import usecases

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class NotifyService(pb_grpc.NotifyServicer):
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        popups = await usecases.list_popups(
            db=self._db,
            user_id=request.user_id,
            limit=request.limit or 50,
            before_id=request.before_id or None,
        )
        return pb.ListNotificationsResponse(notifications=[usecases.popup_to_pb(p) for p in popups])

    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        await usecases.mark_read(db=self._db, user_id=request.user_id, popup_id=request.notification_id)
        return pb.MarkReadResponse()
