"""The ticket report for heads and admins: created, done and open per day, who finished how
many, the busiest subjects — read from the daily aggregate the use cases keep
(``store.report_queries``), so a year costs the same at a thousand tickets as at a million.
Days are UTC days. (SLA figures per unit and clock come from the sla service's report;
the web page puts both together.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import store
from helpdesk_tickets.domain import Actor, report_units
from helpdesk_tickets.errors import InvalidTicket

MAX_DAYS = 3660  # ten years, like sla's report


async def ticket_report(
    *, db: Database, actor: Actor, first: date, last: date, unit_id: int | None
) -> dict[str, Any]:
    """Figures of the days ``first`` … ``last`` (inclusive), every day listed, with the
    backlog (open tickets) as it stood at each day's end."""
    if not first <= last or (last - first).days >= MAX_DAYS:
        raise InvalidTicket(
            "The report's period is not valid.",
            errors=[FieldError("to", f"on or after from, at most {MAX_DAYS} days", params={"max": MAX_DAYS})],
        )
    units = report_units(actor, unit_id)
    async with db.unit_of_work() as uow:
        days = await store.report_per_day(uow.conn, units, first, last)
        open_now, growth_after = await store.report_open_now_and_after(uow.conn, units, last)
        people = await store.report_done_per_person(uow.conn, units, first, last)
        subjects = await store.report_busiest_subjects(uow.conn, units, first, last)
    zero = {"created": 0, "done": 0, "reopened": 0}
    backlog = open_now - growth_after  # open at the end of ``last``
    out: list[dict[str, Any]] = []
    day = last
    while day >= first:  # backwards: each day's backlog from the next day's
        f = days.get(day, zero)
        out.append(
            {"day": day.isoformat(), "created": f["created"], "done": f["done"], "open": max(backlog, 0)}
        )
        backlog -= f["created"] + f["reopened"] - f["done"]
        day -= timedelta(days=1)
    out.reverse()
    return {
        "days": out,
        "people": [{"user_id": u, "done": n} for u, n in people],
        "subjects": [{"subject_id": s, "subject": name or "", "created": n} for s, name, n in subjects],
    }
