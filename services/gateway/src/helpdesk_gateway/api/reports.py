"""REST for the ticket report (heads and admins): created, done and open per day, who
finished how many, the busiest subjects. The SLA figures are ``GET /reports/sla``
(api/sla.py); the web's report pages draw both."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import AwareDatetime, BaseModel

from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.api.tickets_names import names
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.timestamps import to_timestamp

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)


class Day(BaseModel):
    day: str  # YYYY-MM-DD in the report's time zone
    created: int
    done: int
    open: int  # the backlog at the day's end


class Person(BaseModel):
    user_id: int
    name: str | None
    done: int


class SubjectCount(BaseModel):
    subject: str
    created: int


class TicketReportOut(BaseModel):
    days: list[Day]
    people: list[Person]
    subjects: list[SubjectCount]


@router.get("/reports/tickets", response_model=TicketReportOut)
async def ticket_report(
    caller: CallerDep,
    request: Request,
    from_: Annotated[AwareDatetime, Query(alias="from")],
    to: AwareDatetime,
    unit_id: Annotated[int | None, Query(gt=0)] = None,
    time_zone: Annotated[str, Query(max_length=64)] = "UTC",
) -> TicketReportOut:
    """Over tickets filed (created, subjects) or finished (done, people) in ``[from, to)``,
    at most 366 days; days are counted in ``time_zone``."""
    request_pb = t_pb.ReportRequest(to=to_timestamp(to), unit_id=unit_id or 0, time_zone=time_zone)
    getattr(request_pb, "from").CopyFrom(to_timestamp(from_))  # "from" is a Python keyword
    resp = await clients(request).tickets.GetTicketReport(request_pb)
    who = await names(request, [p.user_id for p in resp.people])
    return TicketReportOut(
        days=[Day(day=d.day, created=d.created, done=d.done, open=d.open) for d in resp.days],
        people=[Person(user_id=p.user_id, name=who.get(str(p.user_id)), done=p.done) for p in resp.people],
        subjects=[SubjectCount(subject=s.subject, created=s.created) for s in resp.subjects],
    )
