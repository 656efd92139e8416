"""gRPC ⇄ use cases for helpdesk.tickets.v1.Tickets.

Kept whole: it is the one servicer class of the API, one short method per RPC that
translates messages to use-case calls and back; the logic is in ``usecases``.
"""

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
from helpdesk_kit.rpc import abort_with
from helpdesk_kit.timestamps import from_timestamp
from helpdesk_kit.timestamps import to_timestamp as timestamp
from helpdesk_kit.trust import current_principal, current_user
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
from helpdesk_tickets.fields import CustomField, visible_values
from helpdesk_tickets.rpc_desk import DeskMethods
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.wire import PRIORITY_IN, actor_from_claims, ticket_to_pb

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

# Services whose tickets carry an administrator's routing (assignees even for a client's
# ticket): mail intake files each mailbox's unit and people.
ROUTING_SERVICES = frozenset({"mailin"})

_TRANSITIONS = {
    Action.LOCK.value: usecases.take,
    Action.UNLOCK.value: usecases.release,
    Action.COMPLETE.value: usecases.complete,
    Action.REOPEN.value: usecases.reopen,
}


def _actor() -> Actor:
    """The user the call acts for, from its verified passport (never from the request)."""
    return actor_from_claims(current_user())


def _answer(actor: Actor, t: Ticket, defs: dict[int, CustomField]) -> pb.Ticket:
    values = visible_values(defs, t.custom_fields, is_client=actor.is_client)
    return ticket_to_pb(t, allowed_actions(actor, t), values)


def _comment(c: Comment) -> pb.Comment:
    return pb.Comment(
        id=c.id,
        ticket_id=c.ticket_id,
        author_id=c.author_id,
        body=c.body,
        html=c.html,
        created_at=timestamp(c.created_at),
        attachments=[_attachment(a) for a in c.attachments],
        internal=c.internal,
    )


def _json_object(raw: str, name: str) -> dict[str, Any]:
    """A JSON object sent as a string field ("" = empty), or InvalidTicket naming it."""
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidTicket("Not JSON.", errors=[FieldError(name, "a JSON object")]) from exc
    if not isinstance(value, dict):
        raise InvalidTicket("Not an object.", errors=[FieldError(name, "a JSON object")])
    return value


def _field_pb(f: CustomField) -> pb.CustomField:
    return pb.CustomField(
        id=f.id,
        name=f.name,
        kind=f.kind,
        options=list(f.options),
        required=f.required,
        client_visible=f.client_visible,
        position=f.position,
    )


def _recurring_pb(row: dict[str, Any]) -> pb.RecurringTicket:
    return pb.RecurringTicket(
        id=row["id"],
        next_run_at=timestamp(row["next_run_at"]),
        template_json=orjson.dumps(row["template"]).decode(),
        schedule_json=orjson.dumps(row["schedule"]).decode(),
        active=row["active"],
        author_id=row["author"]["user_id"],
        created_at=timestamp(row["created_at"]),
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
        comment_id=a.comment_id or 0,
    )


class TicketsService(DeskMethods, pb_grpc.TicketsServicer):
    def __init__(
        self,
        *,
        db: Database,
        units: UnitDirectory,
        settings: usecases.SettingsCache | None = None,
        blobs: BlobStore | None = None,
        spool: Path | None = None,
        custom: usecases.FieldsCache | None = None,
    ) -> None:
        self._db = db
        self._fields = custom or usecases.FieldsCache()
        self._units = units
        self._settings = settings or usecases.SettingsCache()
        self._blobs = blobs
        self._spool = spool or Path(tempfile.gettempdir())

    async def _defs(self) -> dict[int, CustomField]:
        return await self._fields.get(self._db)

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
                actor=_actor(),
                ticket_id=header.ticket_id,
                filename=header.filename,
                chunks=chunks(),
                idempotency_key=header.idempotency_key or None,
                for_comment=header.for_comment,
            )
        except AppError as exc:
            # Read what the caller is still sending before answering: ending the call while
            # its chunks are in flight resets the stream, and the caller would see INTERNAL
            # instead of this refusal (a 16 MB file over a 10 MB limit, say).
            async for _ in request_iterator:
                pass
            await abort_with(context, exc)
            raise AssertionError("abort returned") from exc
        return _attachment(attachment)

    async def DownloadAttachment(
        self, request: pb.AttachmentRequest, context: Context
    ) -> AsyncIterator[pb.DownloadChunk]:
        try:
            attachment, data = await usecases.open_attachment(
                db=self._db,
                blobs=self._blob_store(),
                actor=_actor(),
                attachment_id=request.attachment_id,
            )
        except AppError as exc:
            await abort_with(context, exc)
            return
        yield pb.DownloadChunk(attachment=_attachment(attachment))
        async for chunk in data:
            yield pb.DownloadChunk(data=chunk)

    async def ListAttachments(self, request: pb.TicketRequest, context: Context) -> pb.AttachmentsResponse:
        found = await usecases.list_attachments(db=self._db, actor=_actor(), ticket_id=request.ticket_id)
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
            custom_fields=_json_object(request.custom_fields_json, "custom_fields"),
        )
        actor = _actor()
        ticket = await usecases.create_ticket(
            db=self._db,
            units=self._units,
            actor=actor,
            new=new,
            idempotency_key=request.idempotency_key or None,
            settings=self._settings,
            custom=self._fields,
            routed=current_principal().service in ROUTING_SERVICES,
        )
        return _answer(actor, ticket, await self._defs())

    async def GetTicket(self, request: pb.GetTicketRequest, context: Context) -> pb.Ticket:
        actor = _actor()
        ticket = await usecases.get_ticket(db=self._db, actor=actor, ticket_id=request.ticket_id)
        answer = _answer(actor, ticket, await self._defs())
        answer.body_html = usecases.render_description(ticket.body)
        return answer

    async def GetTicketByRef(self, request: pb.GetTicketByRefRequest, context: Context) -> pb.Ticket:
        actor = _actor()
        ticket = await usecases.get_ticket_by_ref(db=self._db, actor=actor, ref=request.ref)
        return _answer(actor, ticket, await self._defs())

    async def Transition(self, request: pb.TransitionRequest, context: Context) -> pb.Ticket:
        run = _TRANSITIONS.get(request.action)
        if run is None:
            raise InvalidTicket("Unknown action.", errors=[FieldError("action", ", ".join(_TRANSITIONS))])
        actor = _actor()
        ticket = await run(
            db=self._db,
            actor=actor,
            ticket_id=request.ticket_id,
            expected_version=request.expected_version or None,
        )
        return _answer(actor, ticket, await self._defs())

    async def ForwardTicket(self, request: pb.ForwardTicketRequest, context: Context) -> pb.Ticket:
        actor = _actor()
        ticket = await usecases.forward(
            db=self._db,
            units=self._units,
            actor=actor,
            ticket_id=request.ticket_id,
            unit_id=request.unit_id,
            assignee_ids=list(request.assignee_ids),
            note=request.note,
            expected_version=request.expected_version or None,
            settings=self._settings,
        )
        return _answer(actor, ticket, await self._defs())

    async def EditTicket(self, request: pb.EditTicketRequest, context: Context) -> pb.Ticket:
        actor = _actor()
        change = usecases.Edit(
            subject=request.subject if request.HasField("subject") else None,
            subject_id=request.subject_id if request.HasField("subject_id") else None,
            body=request.body if request.HasField("body") else None,
            priority=PRIORITY_IN.get(request.priority),
            custom_fields=_json_object(request.custom_fields_json, "custom_fields") or None,
            deadline=request.deadline.ToDatetime(tzinfo=UTC) if request.HasField("deadline") else None,
            clear_deadline=request.clear_deadline,
        )
        ticket = await usecases.edit(
            db=self._db,
            actor=actor,
            ticket_id=request.ticket_id,
            change=change,
            expected_version=request.expected_version or None,
            custom=self._fields,
            settings=self._settings,
        )
        return _answer(actor, ticket, await self._defs())

    async def DeleteTicket(
        self, request: pb.DeleteTicketRequest, context: Context
    ) -> pb.DeleteTicketResponse:
        await usecases.delete(db=self._db, actor=_actor(), ticket_id=request.ticket_id, blobs=self._blobs)
        return pb.DeleteTicketResponse()

    async def ListTickets(self, request: pb.ListTicketsRequest, context: Context) -> pb.ListTicketsResponse:
        actor = _actor()
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
        if request.HasField("updated_since") or usecases.is_change_cursor(request.cursor):
            if request.sort not in ("", "updated_at"):
                raise InvalidTicket(
                    "The change feed is in the order of changes.",
                    errors=[FieldError("sort", "updated_at with updated_since")],
                )
            changed, feed_cursor = await usecases.list_changes(
                db=self._db,
                actor=actor,
                query=query,
                since=from_timestamp(request.updated_since) if request.HasField("updated_since") else None,
                cursor=request.cursor or None,
            )
            defs = await self._defs()
            return pb.ListTicketsResponse(
                tickets=[_answer(actor, t, defs) for t in changed], next_cursor=feed_cursor
            )
        tickets, cursor = await usecases.list_tickets(
            db=self._db, actor=actor, query=query, cursor=request.cursor or None
        )
        defs = await self._defs()
        answer = pb.ListTicketsResponse(
            tickets=[_answer(actor, t, defs) for t in tickets], next_cursor=cursor or ""
        )
        if request.with_total:
            answer.total, answer.total_is_capped = await usecases.count_tickets(
                db=self._db, actor=actor, query=query
            )
        return answer

    async def GetHistory(self, request: pb.TicketRequest, context: Context) -> pb.HistoryResponse:
        entries, cursor = await usecases.history_page(
            db=self._db,
            actor=_actor(),
            ticket_id=request.ticket_id,
            limit=request.limit or 50,
            cursor=request.cursor or None,
            custom=self._fields,
        )
        return pb.HistoryResponse(
            next_cursor=cursor or "",
            entries=[
                pb.HistoryEntry(
                    id=e.id,
                    at=timestamp(e.at),
                    actor_id=e.actor_id,
                    action=e.action,
                    changes_json=orjson.dumps(e.changes).decode(),
                )
                for e in entries
            ],
        )

    async def AddComment(self, request: pb.AddCommentRequest, context: Context) -> pb.Comment:
        comment = await usecases.add_comment(
            db=self._db,
            actor=_actor(),
            ticket_id=request.ticket_id,
            body=request.body,
            attachment_ids=list(request.attachment_ids),
            idempotency_key=request.idempotency_key or None,
            internal=request.internal if request.HasField("internal") else None,
            settings=self._settings,
        )
        return _comment(comment)

    async def ListComments(self, request: pb.TicketRequest, context: Context) -> pb.CommentsResponse:
        comments = await usecases.list_comments(db=self._db, actor=_actor(), ticket_id=request.ticket_id)
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
            actor=_actor(),
            name=request.name,
            sla_plan_id=request.sla_plan_id or None,
        )
        return pb.Subject(id=s.id, name=s.name, sla_plan_id=s.sla_plan_id or 0)

    async def GetSettings(self, request: pb.SettingsRequest, context: Context) -> pb.SettingsResponse:
        value = await usecases.get_settings(db=self._db, actor=_actor())
        return pb.SettingsResponse(value_json=orjson.dumps(value).decode())

    async def PutSettings(self, request: pb.SettingsRequest, context: Context) -> pb.SettingsResponse:
        try:
            value = orjson.loads(request.value_json or "{}")
        except orjson.JSONDecodeError as exc:
            raise InvalidTicket("The settings are not JSON.") from exc
        if not isinstance(value, dict):
            raise InvalidTicket("The settings must be an object.")
        saved = await usecases.put_settings(db=self._db, actor=_actor(), value=value, cache=self._settings)
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
            actor=_actor(),
            template=template,
            schedule=schedule,
            now=datetime.now(UTC),
        )
        return pb.RecurringTicket(id=recurring_id, next_run_at=timestamp(first), active=True)

    async def ListRecurring(self, request: pb.ListRecurringRequest, context: Context) -> pb.RecurringList:
        rows = await usecases.list_recurring(db=self._db, actor=_actor())
        return pb.RecurringList(items=[_recurring_pb(r) for r in rows])

    async def UpdateRecurring(
        self, request: pb.UpdateRecurringRequest, context: Context
    ) -> pb.RecurringTicket:
        row = await usecases.set_recurring_active(
            db=self._db,
            actor=_actor(),
            recurring_id=request.id,
            active=request.active,
            now=datetime.now(UTC),
        )
        return _recurring_pb(row)

    async def DeleteRecurring(self, request: pb.RecurringRequest, context: Context) -> pb.Nothing:
        await usecases.delete_recurring(db=self._db, actor=_actor(), recurring_id=request.id)
        return pb.Nothing()

    async def ListCustomFields(
        self, request: pb.ListCustomFieldsRequest, context: Context
    ) -> pb.CustomFieldsResponse:
        found = await usecases.list_custom_fields(db=self._db, actor=_actor())
        return pb.CustomFieldsResponse(fields=[_field_pb(f) for f in found])

    async def CreateCustomField(
        self, request: pb.CreateCustomFieldRequest, context: Context
    ) -> pb.CustomField:
        f = await usecases.create_custom_field(
            db=self._db,
            actor=_actor(),
            field=CustomField(
                id=0,
                name=request.name,
                kind=request.kind,
                options=tuple(request.options),
                required=request.required,
                client_visible=request.client_visible,
                position=request.position,
            ),
            cache=self._fields,
        )
        return _field_pb(f)

    async def UpdateCustomField(
        self, request: pb.UpdateCustomFieldRequest, context: Context
    ) -> pb.CustomField:
        changes: dict[str, Any] = {
            name: getattr(request, name)
            for name in ("name", "kind", "required", "client_visible", "position")
            if request.HasField(name)
        }
        if request.set_options:
            changes["options"] = list(request.options)
        f = await usecases.update_custom_field(
            db=self._db,
            actor=_actor(),
            field_id=request.id,
            changes_=changes,
            cache=self._fields,
        )
        return _field_pb(f)

    async def DeleteCustomField(self, request: pb.CustomFieldRequest, context: Context) -> pb.Nothing:
        await usecases.delete_custom_field(
            db=self._db, actor=_actor(), field_id=request.id, cache=self._fields
        )
        return pb.Nothing()

    async def UpdateSubject(self, request: pb.UpdateSubjectRequest, context: Context) -> pb.Subject:
        s = await usecases.update_subject(
            db=self._db,
            actor=_actor(),
            subject_id=request.id,
            name=request.name if request.HasField("name") else None,
            **({"sla_plan_id": request.sla_plan_id or None} if request.HasField("sla_plan_id") else {}),
        )
        return pb.Subject(id=s.id, name=s.name, sla_plan_id=s.sla_plan_id or 0)

    async def DeleteSubject(self, request: pb.SubjectRequest, context: Context) -> pb.Nothing:
        await usecases.delete_subject(db=self._db, actor=_actor(), subject_id=request.id)
        return pb.Nothing()

    async def GetCounters(self, request: pb.CountersRequest, context: Context) -> pb.Counters:
        found = await usecases.counters(db=self._db, actor=_actor())
        return pb.Counters(**found)

    async def RenderMarkdown(
        self, request: pb.RenderMarkdownRequest, context: Context
    ) -> pb.RenderMarkdownResponse:
        return pb.RenderMarkdownResponse(html=usecases.render_markdown(request.text))
