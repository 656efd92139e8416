"""What agents use all day: the settings every page reads, canned responses, saved list
views, bulk actions' results, a list's total, the ticket report."""

from __future__ import annotations

from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Names, Out, Page


class PublicTicketSettings(Out):
    """The part of the ``tickets`` settings every signed-in page needs."""

    max_file_bytes: int
    allowed_types: list[str]
    allowed_extensions: list[str] = Field(description="file name endings the upload accepts")
    internal_by_default: bool = Field(description="the caller's new comments are internal notes unless unset")
    client_reopen: bool = Field(description="a client's comment on his done ticket reopens it")
    client_reopen_days: int = Field(description="... within so many days of its completion")

    @classmethod
    def from_pb(cls, s: t_pb.PublicSettings) -> PublicTicketSettings:
        return cls.of(
            max_file_bytes=s.max_file_bytes,
            allowed_types=list(s.allowed_types),
            allowed_extensions=list(s.allowed_extensions),
            internal_by_default=s.internal_by_default,
            client_reopen=s.client_reopen,
            client_reopen_days=s.client_reopen_days,
        )


class CannedResponse(Out):
    id: int
    owner_id: int | None = Field(description="null: shared with the unit")
    unit_id: int | None = Field(description="null: personal")
    title: str
    body: str

    @classmethod
    def from_pb(cls, c: t_pb.CannedResponse) -> CannedResponse:
        return cls.of(
            id=c.id, owner_id=c.owner_id or None, unit_id=c.unit_id or None, title=c.title, body=c.body
        )


class CannedResponseList(Page):
    items: list[CannedResponse]


class SavedView(Out):
    id: int
    owner_id: int
    unit_id: int | None = Field(description="null: personal")
    name: str
    query: str = Field(description="the list's query string: box=inbox&state=new")

    @classmethod
    def from_pb(cls, v: t_pb.SavedView) -> SavedView:
        return cls.of(id=v.id, owner_id=v.owner_id, unit_id=v.unit_id or None, name=v.name, query=v.query)


class SavedViewList(Page):
    items: list[SavedView]


class BulkRefusal(Out):
    ticket_id: int
    code: str = Field(description="the stable code of the refusal: not_found, forbidden, conflict, ...")
    detail: str


class BulkResult(Out):
    """Each ticket judged on its own: what was done, what was refused and why."""

    done: list[int]
    refused: list[BulkRefusal]

    @classmethod
    def from_pb(cls, r: t_pb.BulkResponse) -> BulkResult:
        return cls.of(
            done=list(r.done),
            refused=[BulkRefusal.of(ticket_id=x.ticket_id, code=x.code, detail=x.detail) for x in r.refused],
        )


class TicketTotal(Out):
    total: int
    is_capped: bool = Field(description="more tickets match than total: the count stops there")


class TicketReportDay(Out):
    day: str = Field(description="YYYY-MM-DD (UTC)")
    created: int
    done: int
    open: int = Field(description="the backlog at the day's end")


class TicketReportPerson(Out):
    user_id: int
    name: str | None
    done: int


class TicketReportSubject(Out):
    subject_id: int | None = Field(description="null: the typed (free-text) subjects together")
    subject: str
    created: int


class TicketReport(Out):
    days: list[TicketReportDay]
    people: list[TicketReportPerson]
    subjects: list[TicketReportSubject]

    @classmethod
    def from_pb(cls, r: t_pb.TicketReport, who: Names) -> TicketReport:
        return cls.of(
            days=[TicketReportDay.of(day=d.day, created=d.created, done=d.done, open=d.open) for d in r.days],
            people=[
                TicketReportPerson.of(user_id=p.user_id, name=who.get(str(p.user_id)), done=p.done)
                for p in r.people
            ],
            subjects=[
                TicketReportSubject.of(subject_id=s.subject_id or None, subject=s.subject, created=s.created)
                for s in r.subjects
            ],
        )
