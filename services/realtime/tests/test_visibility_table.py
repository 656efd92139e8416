"""The role table of "who sees a ticket", delivered live: realtime's side of the one rule.

tests/contracts/ticket_visibility.json lists, for tickets of every shape, the audience
the tickets service puts in its events (its test checks that), and who sees which
ticket. Here each audience, as the event carries it, must reach exactly those people:
by the match alone, and through the hub's sockets.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from helpdesk.tickets.v1 import events_pb2

from helpdesk_realtime.domain import TicketAudience, Viewer, can_see_ticket
from helpdesk_realtime.hub import Hub

TABLE = json.loads(
    (Path(__file__).resolve().parents[3] / "tests" / "contracts" / "ticket_visibility.json").read_text()
)
PEOPLE: dict[str, dict[str, Any]] = TABLE["people"]
TICKETS: dict[str, dict[str, Any]] = TABLE["tickets"]
SEES: dict[str, list[str]] = TABLE["sees"]


def viewer(person: dict[str, Any]) -> Viewer:
    return Viewer(
        user_id=person["user_id"],
        is_client=person["is_client"],
        role=person["role"],
        unit_ids=frozenset(person["unit_ids"]),
        is_admin=person.get("is_admin", False),
        client_group_id=person.get("client_group_id"),
        is_client_group_lead=person.get("is_client_group_lead", False),
    )


def audiences() -> dict[str, TicketAudience]:
    """Each ticket's audience as realtime reads it from the event (ids in table order)."""
    return {
        name: TicketAudience.from_pb(number, events_pb2.TicketAudience(**entry["audience"]))
        for number, (name, entry) in enumerate(TICKETS.items(), start=1)
    }


@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_each_person_matches_exactly_the_audiences_of_the_tickets_he_sees(person: str) -> None:
    who = viewer(PEOPLE[person])
    assert {name for name, a in audiences().items() if can_see_ticket(who, a)} == set(SEES[person])


async def test_the_hub_delivers_each_tickets_change_to_exactly_the_people_who_see_it() -> None:
    hub = Hub(queue_size=100)
    received: dict[str, list[int]] = {name: [] for name in PEOPLE}
    pumps = []
    for name, person in PEOPLE.items():

        async def send(text: str, name: str = name) -> None:
            received[name].append(json.loads(text)["ticket_id"])

        pumps.append(asyncio.create_task(hub.open(viewer(person), send).pump()))
    by_id = audiences()
    for event_id, audience in enumerate(by_id.values(), start=1):
        hub.deliver_entry(event_id, audience, [{"type": "ticket.updated", "ticket_id": audience.ticket_id}])
    await asyncio.sleep(0.05)
    for pump in pumps:
        pump.cancel()
    names = {a.ticket_id: name for name, a in by_id.items()}
    assert {person: {names[i] for i in ids} for person, ids in received.items()} == {
        person: set(seen) for person, seen in SEES.items()
    }
