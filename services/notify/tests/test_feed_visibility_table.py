"""The events feed's side of the one visibility rule: each ticket's events reach exactly the
people tests/contracts/ticket_visibility.json says see the ticket (the audience as the
event carries it; the admin flag shows no more tickets), internal notes and SLA alerts
no client, user events administrators only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpdesk.identity.v1 import events_pb2 as identity_events
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as tickets_events
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.db import Database
from helpdesk_kit.trust import UserClaims
from helpdesk_notify.webhooks import usecases
from helpdesk_notify.webhooks.feed_order import order_once

TABLE = json.loads(
    (Path(__file__).resolve().parents[3] / "tests" / "contracts" / "ticket_visibility.json").read_text()
)
PEOPLE: dict[str, dict[str, Any]] = TABLE["people"]
TICKETS: dict[str, dict[str, Any]] = TABLE["tickets"]
SEES: dict[str, list[str]] = TABLE["sees"]


def claims(p: dict[str, Any]) -> UserClaims:
    return UserClaims(
        user_id=p["user_id"],
        login=str(p["user_id"]),
        kind="client" if p["is_client"] else "staff",
        role=p["role"],
        unit_ids=tuple(p["unit_ids"]),
        is_admin=p.get("is_admin", False),
        client_group_id=p.get("client_group_id"),
        is_client_group_lead=p.get("is_client_group_lead", False),
    )


async def _record(db: Database, event_id: str, message: Any) -> None:
    async with db.unit_of_work() as uow:
        await usecases.record(uow, event_id, message)
        await uow.commit()


async def _seen(db: Database, person: dict[str, Any]) -> list[dict[str, Any]]:
    page = await usecases.list_events(db, claims(person), after=0, limit=500)
    return [
        {**e, "data": json.loads(e["data"]) if isinstance(e["data"], str) else e["data"]} for e in page.events
    ]


@pytest.fixture
async def feed(db: Database) -> Database:
    """Every ticket of the table created, commented internally and warned about, and a user changed."""
    for number, (name, entry) in enumerate(TICKETS.items(), start=1):
        ticket = tickets_pb2.Ticket(
            id=number,
            number=number,
            subject=name,
            unit_id=entry["ticket"]["unit_id"],
            custom_fields_json='{"7": "staff only"}',
        )
        audience = tickets_events.TicketAudience(**entry["audience"])
        await _record(db, f"created-{number}", tickets_events.TicketCreated(ticket=ticket, audience=audience))
        note = tickets_events.TicketCommented(
            ticket=ticket, audience=audience, internal=True, comment_body="n"
        )
        await _record(db, f"note-{number}", note)
        warning = sla_events.SlaWarning(ticket_id=number, unit_id=entry["ticket"]["unit_id"])
        await _record(db, f"sla-{number}", warning)
    await _record(db, "user-1", identity_events.UserChanged(user_id=4, is_active=True))
    await order_once(db)
    return db


def _reading(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What one person's feed holds, in the terms of the table."""
    return {
        "tickets": sorted(e["data"]["subject"] for e in events if e["type"] == "ticket.created"),
        "staff only": sorted({e["type"] for e in events if e["type"] in ("ticket.commented", "sla.warning")}),
        "custom fields": sorted(
            {json.dumps(e["data"]["custom_fields"]) for e in events if e["type"] == "ticket.created"}
        ),
        "user events": any(e["type"] == "user.changed" for e in events),
    }


def _expected(p: dict[str, Any], sees: list[str]) -> dict[str, Any]:
    staff = not p["is_client"] and bool(sees)
    return {
        "tickets": sorted(sees),
        # Internal notes and SLA alerts never reach clients; nor custom fields (notify
        # cannot tell which a client may see).
        "staff only": ["sla.warning", "ticket.commented"] if staff else [],
        "custom fields": ([json.dumps({"7": "staff only"})] if staff else ["{}"]) if sees else [],
        "user events": p.get("is_admin", False),
    }


async def test_each_person_reads_exactly_the_events_of_the_tickets_he_sees(feed: Database) -> None:
    # One feed for the whole table (a database per person would cost a second each).
    read = {person: _reading(await _seen(feed, p)) for person, p in PEOPLE.items()}
    assert read == {person: _expected(p, SEES[person]) for person, p in PEOPLE.items()}
