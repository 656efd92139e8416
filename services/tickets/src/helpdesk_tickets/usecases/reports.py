"""The ticket report for heads and admins: created, done and open per day, who finished how
many, the busiest subjects. (SLA figures per unit and clock come from the sla service's
report; the web page puts both together.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor, report_units
from helpdesk_tickets.errors import InvalidTicket

MAX_DAYS = 366


def _check(start: datetime, end: datetime, time_zone: str) -> ZoneInfo:
    errors = []
    if not start < end or end - start > timedelta(days=MAX_DAYS):
        errors.append(
            FieldError("to", f"after from, at most {MAX_DAYS} days later", params={"max": MAX_DAYS})
        )
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", "an IANA time zone"))
    if errors:
        raise InvalidTicket("The report's period is not valid.", errors=errors)
    return zone


async def ticket_report(
    *, db: Database, actor: Actor, start: datetime, end: datetime, unit_id: int | None, time_zone: str
) -> dict[str, Any]:
    """Figures over ``[start, end)``, every day of it listed (in ``time_zone``), the backlog
    as it stood at each day's end."""
    zone = _check(start, end, time_zone)
    units = report_units(actor, unit_id)
    async with db.unit_of_work() as uow:
        days = await store.report_per_day(uow.conn, units, start, end, time_zone)
        open_now, created_since, done_since = await store.report_open_now_and_since(uow.conn, units, end)
        people = await store.report_done_per_person(uow.conn, units, start, end)
        subjects = await store.report_busiest_subjects(uow.conn, units, start, end)
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    backlog = open_now - created_since + done_since  # open at ``end``
    out: list[dict[str, Any]] = []
    day = last
    while day >= first:  # backwards: each day's end backlog from the next day's
        figures = days.get(day, {"created": 0, "done": 0})
        out.append({"day": day.isoformat(), **figures, "open": max(backlog, 0)})
        backlog -= figures["created"] - figures["done"]
        day -= timedelta(days=1)
    out.reverse()
    return {
        "days": out,
        "people": [{"user_id": u, "done": n} for u, n in people],
        "subjects": [{"subject": s, "created": n} for s, n in subjects],
    }
