"""gRPC ⇄ use cases for helpdesk.tickets.v1.Tickets."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any, TypeAlias

import grpc
import orjson
from helpdesk.tickets.v1 import tickets_pb2 as pb
from helpdesk.tickets.v1 import tickets_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, FieldError, Unavailable
from helpdesk_kit.rpc import ERROR_FIELDS_KEY
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import (
    Action,
    Actor,
    Attachment,
    Comment,
    ListQuery,
    NewTicket,
    Priority,
    Schedule,
    Ticket,
    allowed_actions,
)
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.events import PRIORITY_IN, actor_from_pb, ticket_to_pb, timestamp
from helpdesk_tickets.storage import BlobStore

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

_TRANSITIONS = {
    Action.LOCK.value: usecases.take,
    Action.UNLOCK.value: usecases.release,
    Action.COMPLETE.value: usecases.complete,
    Action.REOPEN.value: usecases.reopen,
}


def _answer(actor: Actor, t: Ticket) -> pb.Ticket:
    return ticket_to_pb(t, allowed_actions(actor, t))


def _comment(c: Comment) -> pb.Comment:
    return pb.Comment(
        id=c.id,
        ticket_id=c.ticket_id,
        author_id=c.author_id,
        body=c.body,
        html=c.html,
        created_at=timestamp(c.created_at),
    )


def _attachment(a: Attachment) -> pb.Attachment:
    return pb.Attachment(
        id=a.id,
        ticket_id=a.ticket_id,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        author_id=a.author_id,
        created_at=timestamp(a.created_at),
    )


async def _abort(context: Context, exc: AppError) -> None:
    """The kit maps errors of unary calls; streaming calls report theirs the same way here."""
    meta = []
    if exc.errors:
        fields = [{"field": e.field, "message": e.message} for e in exc.errors]
        meta.append((ERROR_FIELDS_KEY, orjson.dumps(fields).decode()))
    await context.abort(exc.code.grpc_status, exc.detail, trailing_metadata=tuple(meta))


class TicketsService(pb_grpc.TicketsServicer):
    def __init__(
        self,
        *,
        db: Database,
        units: UnitDirectory,
        settings: usecases.SettingsCache | None = None,
        blobs: BlobStore | None = None,
        spool: Path | None = None,
    ) -> None:
        self._db = db
        self._units = units
        self._settings = settings or usecases.SettingsCache()
        self._blobs = blobs
        self._spool = spool or Path(tempfile.gettempdir())

    def _blob_store(self) -> BlobStore:
        if self._blobs is None:
            raise Unavailable("No file storage is configured.")
        return self._blobs

    async def UploadAttachment(
        self, request_iterator: AsyncIterator[pb.UploadChunk], context: Context
    ) -> pb.Attachment:
        try:
            first = await anext(aiter(request_iterator), None)
            if first is None or not first.HasField("header"):
                raise InvalidTicket("The upload must start with its header.")
            header = first.header

            async def chunks() -> AsyncIterator[bytes]:
                async for part in request_iterator:
                    yield part.data

            attachment = await usecases.upload_attachment(
                db=self._db,
                blobs=self._blob_store(),
                spool=self._spool,
                settings=self._settings,
                actor=actor_from_pb(header.actor),
                ticket_id=header.ticket_id,
                filename=header.filename,
                chunks=chunks(),
            )
        except AppError as exc:
            await _abort(context, exc)
            raise AssertionError("abort returned") from exc
        return _attachment(attachment)

    async def DownloadAttachment(
        self, request: pb.AttachmentRequest, context: Context
    ) -> AsyncIterator[pb.DownloadChunk]:
        try:
            attachment, data = await usecases.open_attachment(
                db=self._db,
                blobs=self._blob_store(),
                actor=actor_from_pb(request.actor),
                attachment_id=request.attachment_id,
            )
        except AppError as exc:
            await _abort(context, exc)
            return
        yield pb.DownloadChunk(attachment=_attachment(attachment))
        async for chunk in data:
            yield pb.DownloadChunk(data=chunk)

    async def ListAttachments(self, request: pb.TicketRequest, context: Context) -> pb.AttachmentsResponse:
        found = await usecases.list_attachments(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id
        )
        return pb.AttachmentsResponse(attachments=[_attachment(a) for a in found])

    async def CreateTicket(self, request: pb.CreateTicketRequest, context: Context) -> pb.Ticket:
        priority = PRIORITY_IN.get(request.priority)
        if priority is None:
            raise InvalidTicket(
                "The ticket is not valid.", errors=[FieldError("priority", "low, normal or high")]
            )
        new = NewTicket(
            subject=request.subject,
            body=request.body,
            priority=priority,
            unit_id=request.unit_id,
            assignee_ids=list(request.assignee_ids),
            client_id=request.client_id or None,
            source=request.source or "api",
            subject_id=request.subject_id or None,
            deadline=request.deadline.ToDatetime(tzinfo=UTC) if request.HasField("deadline") else None,
        )
        actor = actor_from_pb(request.actor)
        ticket = await usecases.create_ticket(
            db=self._db,
            units=self._units,
            actor=actor,
            new=new,
            idempotency_key=request.idempotency_key or None,
            settings=self._settings,
        )
        return _answer(actor, ticket)

    async def GetTicket(self, request: pb.GetTicketRequest, context: Context) -> pb.Ticket:
        actor = actor_from_pb(request.actor)
        ticket = await usecases.get_ticket(db=self._db, actor=actor, ticket_id=request.ticket_id)
        return _answer(actor, ticket)

    async def Transition(self, request: pb.TransitionRequest, context: Context) -> pb.Ticket:
        run = _TRANSITIONS.get(request.action)
        if run is None:
            raise InvalidTicket("Unknown action.", errors=[FieldError("action", ", ".join(_TRANSITIONS))])
        actor = actor_from_pb(request.actor)
        ticket = await run(
            db=self._db,
            actor=actor,
            ticket_id=request.ticket_id,
            expected_version=request.expected_version or None,
        )
        return _answer(actor, ticket)

    async def ForwardTicket(self, request: pb.ForwardTicketRequest, context: Context) -> pb.Ticket:
        actor = actor_from_pb(request.actor)
        ticket = await usecases.forward(
            db=self._db,
            units=self._units,
            actor=actor,
            ticket_id=request.ticket_id,
            unit_id=request.unit_id,
            assignee_ids=list(request.assignee_ids),
            note=request.note,
            expected_version=request.expected_version or None,
        )
        return _answer(actor, ticket)

    async def EditTicket(self, request: pb.EditTicketRequest, context: Context) -> pb.Ticket:
        actor = actor_from_pb(request.actor)
        change = usecases.Edit(
            subject=request.subject if request.HasField("subject") else None,
            subject_id=request.subject_id if request.HasField("subject_id") else None,
            body=request.body if request.HasField("body") else None,
            priority=PRIORITY_IN.get(request.priority),
        )
        ticket = await usecases.edit(
            db=self._db,
            actor=actor,
            ticket_id=request.ticket_id,
            change=change,
            expected_version=request.expected_version or None,
        )
        return _answer(actor, ticket)

    async def DeleteTicket(
        self, request: pb.DeleteTicketRequest, context: Context
    ) -> pb.DeleteTicketResponse:
        await usecases.delete(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id, blobs=self._blobs
        )
        return pb.DeleteTicketResponse()

    async def ListTickets(self, request: pb.ListTicketsRequest, context: Context) -> pb.ListTicketsResponse:
        actor = actor_from_pb(request.actor)
        query = ListQuery(
            box=request.box or "inbox",
            states=list(request.states),
            priorities=list(request.priorities),
            unit_id=request.unit_id or None,
            assignee_id=request.assignee_id or None,
            locked=request.locked or None,
            sla_states=list(request.sla_states),
            text=request.q.strip() or None,
            sort=request.sort or "-id",
            limit=request.limit or 50,
        )
        tickets, cursor = await usecases.list_tickets(
            db=self._db, actor=actor, query=query, cursor=request.cursor or None
        )
        return pb.ListTicketsResponse(tickets=[_answer(actor, t) for t in tickets], next_cursor=cursor or "")

    async def GetHistory(self, request: pb.TicketRequest, context: Context) -> pb.HistoryResponse:
        entries = await usecases.ticket_history(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id
        )
        return pb.HistoryResponse(
            entries=[
                pb.HistoryEntry(
                    id=e.id,
                    at=timestamp(e.at),
                    actor_id=e.actor_id,
                    action=e.action,
                    changes_json=orjson.dumps(e.changes).decode(),
                )
                for e in entries
            ]
        )

    async def AddComment(self, request: pb.AddCommentRequest, context: Context) -> pb.Comment:
        comment = await usecases.add_comment(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id, body=request.body
        )
        return _comment(comment)

    async def ListComments(self, request: pb.TicketRequest, context: Context) -> pb.CommentsResponse:
        comments = await usecases.list_comments(
            db=self._db, actor=actor_from_pb(request.actor), ticket_id=request.ticket_id
        )
        return pb.CommentsResponse(comments=[_comment(c) for c in comments])

    async def ListSubjects(
        self, request: pb.ListSubjectsRequest, context: Context
    ) -> pb.ListSubjectsResponse:
        subjects = await usecases.list_subjects(db=self._db)
        return pb.ListSubjectsResponse(
            subjects=[pb.Subject(id=s.id, name=s.name, sla_plan_id=s.sla_plan_id or 0) for s in subjects]
        )

    async def CreateSubject(self, request: pb.CreateSubjectRequest, context: Context) -> pb.Subject:
        s = await usecases.create_subject(
            db=self._db,
            actor=actor_from_pb(request.actor),
            name=request.name,
            sla_plan_id=request.sla_plan_id or None,
        )
        return pb.Subject(id=s.id, name=s.name, sla_plan_id=s.sla_plan_id or 0)

    async def GetSettings(self, request: pb.SettingsRequest, context: Context) -> pb.SettingsResponse:
        value = await usecases.get_settings(db=self._db, actor=actor_from_pb(request.actor))
        return pb.SettingsResponse(value_json=orjson.dumps(value).decode())

    async def PutSettings(self, request: pb.SettingsRequest, context: Context) -> pb.SettingsResponse:
        try:
            value = orjson.loads(request.value_json or "{}")
        except orjson.JSONDecodeError as exc:
            raise InvalidTicket("The settings are not JSON.") from exc
        if not isinstance(value, dict):
            raise InvalidTicket("The settings must be an object.")
        saved = await usecases.put_settings(
            db=self._db, actor=actor_from_pb(request.actor), value=value, cache=self._settings
        )
        return pb.SettingsResponse(value_json=orjson.dumps(saved).decode())

    async def CreateRecurring(
        self, request: pb.CreateRecurringRequest, context: Context
    ) -> pb.RecurringTicket:
        try:
            at = dt_time.fromisoformat(request.at)
            start = date.fromisoformat(request.start)
            end = date.fromisoformat(request.end) if request.end else None
        except ValueError as exc:
            raise InvalidTicket(
                "The schedule is not valid.", errors=[FieldError("at", "HH:MM; start and end YYYY-MM-DD")]
            ) from exc
        template = NewTicket(
            subject=request.subject,
            body=request.body,
            priority=PRIORITY_IN.get(request.priority, Priority.NORMAL),
            unit_id=request.unit_id,
            assignee_ids=list(request.assignee_ids),
            client_id=request.client_id or None,
            source="recurring",
        )
        schedule = Schedule(
            kind=request.kind,
            at=at,
            start=start,
            end=end,
            every_days=request.every_days or 1,
            weekdays=frozenset(request.weekdays),
            month_days=frozenset(request.month_days),
            time_zone=request.time_zone or "UTC",
        )
        recurring_id, first = await usecases.create_recurring(
            db=self._db,
            units=self._units,
            actor=actor_from_pb(request.actor),
            template=template,
            schedule=schedule,
            now=datetime.now(UTC),
        )
        return pb.RecurringTicket(id=recurring_id, next_run_at=timestamp(first))
