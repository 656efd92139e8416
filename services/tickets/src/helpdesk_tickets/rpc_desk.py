"""gRPC ⇄ use cases for what agents use all day: canned responses, saved list views, bulk
actions, the ticket report and the settings every page reads. ``rpc.TicketsService``
inherits these methods (rpc.py keeps the ticket's own life cycle)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

import grpc
from helpdesk.tickets.v1 import tickets_pb2 as pb

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_kit.trust import current_user
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, CannedResponse, SavedView
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.wire import PRIORITY_IN, actor_from_claims

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def _actor() -> Actor:
    return actor_from_claims(current_user())


def _canned_pb(c: CannedResponse) -> pb.CannedResponse:
    return pb.CannedResponse(
        id=c.id, owner_id=c.owner_id or 0, unit_id=c.unit_id or 0, title=c.title, body=c.body
    )


def _view_pb(v: SavedView) -> pb.SavedView:
    return pb.SavedView(id=v.id, owner_id=v.owner_id, unit_id=v.unit_id or 0, name=v.name, query=v.query)


class DeskMethods:
    """Mixed into ``TicketsService``, which sets these attributes."""

    _db: Database
    _units: UnitDirectory
    _settings: usecases.SettingsCache

    async def GetPublicSettings(self, request: pb.Nothing, context: Context) -> pb.PublicSettings:
        value = await usecases.public_settings(db=self._db, actor=_actor(), cache=self._settings)
        return pb.PublicSettings(**value)

    async def ListCanned(self, request: pb.Nothing, context: Context) -> pb.CannedList:
        found = await usecases.list_canned(db=self._db, actor=_actor())
        return pb.CannedList(items=[_canned_pb(c) for c in found])

    async def CreateCanned(self, request: pb.CannedRequest, context: Context) -> pb.CannedResponse:
        made = await usecases.create_canned(
            db=self._db,
            actor=_actor(),
            title=request.title,
            body=request.body,
            unit_id=request.unit_id or None,
        )
        return _canned_pb(made)

    async def UpdateCanned(self, request: pb.CannedRequest, context: Context) -> pb.CannedResponse:
        saved = await usecases.update_canned(
            db=self._db, actor=_actor(), canned_id=request.id, title=request.title, body=request.body
        )
        return _canned_pb(saved)

    async def DeleteCanned(self, request: pb.CannedRequest, context: Context) -> pb.Nothing:
        await usecases.delete_canned(db=self._db, actor=_actor(), canned_id=request.id)
        return pb.Nothing()

    async def ListSavedViews(self, request: pb.Nothing, context: Context) -> pb.SavedViewList:
        found = await usecases.list_views(db=self._db, actor=_actor())
        return pb.SavedViewList(items=[_view_pb(v) for v in found])

    async def CreateSavedView(self, request: pb.SavedViewRequest, context: Context) -> pb.SavedView:
        made = await usecases.create_view(
            db=self._db,
            actor=_actor(),
            name=request.name,
            query=request.query,
            unit_id=request.unit_id or None,
        )
        return _view_pb(made)

    async def DeleteSavedView(self, request: pb.SavedViewRequest, context: Context) -> pb.Nothing:
        await usecases.delete_view(db=self._db, actor=_actor(), view_id=request.id)
        return pb.Nothing()

    async def Bulk(self, request: pb.BulkRequest, context: Context) -> pb.BulkResponse:
        result = await usecases.bulk(
            db=self._db,
            units=self._units,
            actor=_actor(),
            action=request.action,
            ticket_ids=list(request.ticket_ids),
            priority=PRIORITY_IN.get(request.priority),
            unit_id=request.unit_id or None,
            assignee_ids=list(request.assignee_ids),
            settings=self._settings,
        )
        return pb.BulkResponse(
            done=result.done,
            refused=[
                pb.BulkRefusal(ticket_id=r.ticket_id, code=r.code, detail=r.detail) for r in result.refused
            ],
        )

    async def GetTicketReport(self, request: pb.ReportRequest, context: Context) -> pb.TicketReport:
        try:
            first, last = date.fromisoformat(request.first), date.fromisoformat(request.last)
        except ValueError as exc:
            raise InvalidTicket("Not a date.", errors=[FieldError("from", "YYYY-MM-DD")]) from exc
        report = await usecases.ticket_report(
            db=self._db, actor=_actor(), first=first, last=last, unit_id=request.unit_id or None
        )
        return pb.TicketReport(
            days=[pb.DayFigures(**d) for d in report["days"]],
            people=[pb.PersonFigures(**p) for p in report["people"]],
            subjects=[pb.SubjectFigures(**s) for s in report["subjects"]],
        )
