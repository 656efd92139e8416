"""The tickets service's resources: tickets, history, comments, files, fields, subjects,
recurring tickets, settings."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Names, Out, Page, Timestamp
from helpdesk_gateway.api.models.sla import TicketClocks
from helpdesk_gateway.api.shapes import ts
from helpdesk_kit.resources import ticket_fields, ticket_people

Priority = Literal["low", "normal", "high"]
PRIORITY_PB = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
# One mapping for the API's answers and notify's webhook events (helpdesk_kit.resources).
people = ticket_people


class Ticket(Out):
    id: int
    number: int
    ref: str
    subject: str
    subject_id: int | None
    body: str
    priority: Priority | None
    state: Literal["new", "in_work", "done", "archived"] | None
    unit_id: int
    assignee_ids: list[int]
    author_id: int
    client_id: int | None
    locked_by: int | None
    done_by: int | None
    deadline: Timestamp | None
    source: str
    sla_plan_id: int | None
    sla_state: str | None
    version: int
    created_at: Timestamp | None
    updated_at: Timestamp | None
    allowed_actions: list[str]
    custom_fields: dict[str, Any]
    names: Names
    body_html: str | None = Field(
        default=None, description="the description as sanitised HTML; in one ticket's answers only"
    )
    sla: TicketClocks | None = Field(
        default=None,
        description="the three clocks as GET /tickets/{id}/sla gives them, in GET /tickets/{id} and "
        "lists; null in the answers to changes (the clocks follow a change a moment later) or "
        "while the sla service does not answer",
    )

    @classmethod
    def from_pb(cls, t: t_pb.Ticket, all_names: Names, sla: TicketClocks | None = None) -> Ticket:
        return cls.of(
            **ticket_fields(t),
            names={str(i): all_names[str(i)] for i in people(t) if str(i) in all_names},
            body_html=t.body_html or None,
            sla=sla,
        )


def ticket_json(t: t_pb.Ticket, all_names: Names) -> bytes:
    """The JSON FastAPI writes for ``Ticket.from_pb(t, all_names)`` (pydantic's core), byte
    for byte, from one dict and one orjson dump: a hot route's answer without the model
    instance, its check and its serializer (``hot_routes``; tests/test_hot_create.py compares)."""
    fields = ticket_fields(t)
    fields["names"] = {str(i): all_names[str(i)] for i in people(t) if str(i) in all_names}
    fields["body_html"] = t.body_html or None
    fields["sla"] = None
    return orjson.dumps(fields)


class TicketList(Page):
    items: list[Ticket]
    names: Names


class HistoryEntry(Out):
    id: int
    at: Timestamp | None
    actor_id: int | None
    action: str
    changes: dict[str, Any]

    @classmethod
    def from_pb(cls, e: t_pb.HistoryEntry) -> HistoryEntry:
        return cls.of(
            id=e.id,
            at=ts(e.at),
            actor_id=e.actor_id or None,
            action=e.action,
            changes=orjson.loads(e.changes_json or "{}"),
        )


class HistoryPage(Page):
    items: list[HistoryEntry]
    names: Names


class AttachedFile(Out):
    id: int
    filename: str
    content_type: str
    size: int


class Comment(Out):
    id: int
    ticket_id: int
    author_id: int
    body: str
    html: str
    created_at: Timestamp | None
    attachments: list[AttachedFile]
    attachment_ids: list[int]
    internal: bool = Field(description="a staff note: never shown to clients")

    @classmethod
    def from_pb(cls, c: t_pb.Comment) -> Comment:
        files = [
            AttachedFile.of(id=a.id, filename=a.filename, content_type=a.content_type, size=a.size)
            for a in c.attachments
        ]
        return cls.of(
            id=c.id,
            ticket_id=c.ticket_id,
            author_id=c.author_id,
            body=c.body,
            html=c.html,
            created_at=ts(c.created_at),
            attachments=files,
            attachment_ids=[a.id for a in c.attachments],
            internal=c.internal,
        )


class CommentList(Page):
    items: list[Comment]
    names: Names


class Attachment(Out):
    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    author_id: int
    created_at: Timestamp | None
    comment_id: int | None

    @classmethod
    def from_pb(cls, a: t_pb.Attachment) -> Attachment:
        return cls.of(
            id=a.id,
            ticket_id=a.ticket_id,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            author_id=a.author_id,
            created_at=ts(a.created_at),
            comment_id=a.comment_id or None,
        )


class AttachmentList(Page):
    items: list[Attachment]


class Counters(Out):
    new: int
    in_work: int
    mine: int
    sla_warning: int
    sla_breached: int


class Html(Out):
    html: str


class CustomField(Out):
    id: int
    name: str
    kind: str
    options: list[str]
    required: bool
    client_visible: bool
    position: int

    @classmethod
    def from_pb(cls, f: t_pb.CustomField) -> CustomField:
        return cls.of(
            id=f.id,
            name=f.name,
            kind=f.kind,
            options=list(f.options),
            required=f.required,
            client_visible=f.client_visible,
            position=f.position,
        )


class CustomFieldList(Out):
    items: list[CustomField]


class Subject(Out):
    id: int
    name: str
    sla_plan_id: int | None

    @classmethod
    def from_pb(cls, s: t_pb.Subject) -> Subject:
        return cls.of(id=s.id, name=s.name, sla_plan_id=s.sla_plan_id or None)


class SubjectList(Page):
    items: list[Subject]


class TicketSettings(Out):
    days_to_archive: int
    max_file_bytes: int
    allowed_types: list[str]
    free_text_subjects: bool
    internal_by_default: list[Literal["department_head", "unit_head", "unit_member"]] = Field(
        description="roles whose new comments are internal notes unless they say otherwise"
    )
    client_reopen: bool = Field(description="a client's comment on his done ticket reopens it")
    client_reopen_days: int = Field(description="... within so many days of its completion")
    unit_sla_plans: dict[str, int] = Field(
        description="unit id → the SLA plan of its tickets whose subject names none"
    )


class RecurringCreated(Out):
    id: int
    next_run_at: Timestamp | None


class RecurringTemplate(Out):
    subject: str
    body: str
    priority: str
    unit_id: int
    assignee_ids: list[int]
    client_id: int | None


class RecurringSchedule(Out):
    kind: Literal["daily", "weekly", "monthly"]
    at: str
    start: str
    end: str | None
    every_days: int
    weekdays: list[int]
    month_days: list[int]
    time_zone: str


class RecurringTicket(RecurringTemplate, RecurringSchedule):
    """The template's and the schedule's keys at the top level too, as the create body has them."""

    id: int
    author_id: int
    template: RecurringTemplate
    schedule: RecurringSchedule
    next_run_at: Timestamp | None
    active: bool
    created_at: Timestamp | None

    @classmethod
    def from_pb(cls, r: t_pb.RecurringTicket) -> RecurringTicket:
        template: dict[str, Any] = orjson.loads(r.template_json or "{}")
        schedule: dict[str, Any] = orjson.loads(r.schedule_json or "{}")
        if isinstance(schedule.get("at"), str):
            schedule["at"] = schedule["at"][:5]
        return cls.of(
            **template,
            **schedule,
            id=r.id,
            author_id=r.author_id,
            template=RecurringTemplate.of(**template),
            schedule=RecurringSchedule.of(**schedule),
            next_run_at=ts(r.next_run_at),
            active=r.active,
            created_at=ts(r.created_at),
        )


class RecurringList(Page):
    items: list[RecurringTicket]
