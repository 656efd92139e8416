"""REST for the ticket report (heads and admins): created, done and open per day, who
finished how many, the busiest subjects. The SLA figures are ``GET /reports/sla``
(api/sla.py); the web's report pages draw both."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import BaseModel

from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.api.tickets_names import names
from helpdesk_gateway.auth import CallerDep

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
    subject_id: int | None  # None: the typed (free-text) subjects together
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
    first: Annotated[dt.date, Query(alias="from")],
    last: Annotated[dt.date, Query(alias="to")],
    unit_id: Annotated[int | None, Query(gt=0)] = None,
) -> TicketReportOut:
    """Over the UTC days ``from`` … ``to`` (inclusive, dates): tickets filed (per day, per
    subject), finished (per day, per person), and the backlog at each day's end."""
    resp = await clients(request).tickets.GetTicketReport(
        t_pb.ReportRequest(first=first.isoformat(), last=last.isoformat(), unit_id=unit_id or 0)
    )
    who = await names(request, [p.user_id for p in resp.people])
    return TicketReportOut(
        days=[Day(day=d.day, created=d.created, done=d.done, open=d.open) for d in resp.days],
        people=[Person(user_id=p.user_id, name=who.get(str(p.user_id)), done=p.done) for p in resp.people],
        subjects=[
            SubjectCount(subject_id=s.subject_id or None, subject=s.subject, created=s.created)
            for s in resp.subjects
        ],
    )
