"""REST for the ticket report (heads and admins): created, done and open per day, who
finished how many, the busiest subjects. The SLA figures are ``GET /reports/sla``
(api/sla.py); the web's report pages draw both."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Request
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.models.desk import TicketReport
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.api.tickets_names import names
from helpdesk_gateway.api.values import IdQuery
from helpdesk_gateway.auth import CallerDep

router = api_router(prefix="/api/v1")


@router.get("/reports/tickets")
async def ticket_report(
    caller: CallerDep,
    request: Request,
    first: Annotated[dt.date, Query(alias="from")],
    last: Annotated[dt.date, Query(alias="to")],
    unit_id: IdQuery = None,
) -> TicketReport:
    """Over the UTC days ``from`` … ``to`` (inclusive, dates): tickets filed (per day, per
    subject), finished (per day, per person), and the backlog at each day's end."""
    resp = await clients(request).tickets.GetTicketReport(
        t_pb.ReportRequest(first=first.isoformat(), last=last.isoformat(), unit_id=unit_id or 0)
    )
    return TicketReport.from_pb(resp, await names(request, [p.user_id for p in resp.people]))
