"""What typed answers cost the gateway per response: the old untyped path against the
models of ``helpdesk_gateway.api.models``, for one ticket and for a page of 50.

    .venv/bin/python bench/response_models.py [--seconds 2] [--rounds 5]

Paths measured, each from the protobuf the tickets service answers to the JSON bytes
sent (the part of a request that changed):

- ``dict+orjson``: before — a dict built by hand, written by orjson (``response_model=None``);
- ``model (FastAPI)``: now — ``Ticket.from_pb`` (``model_construct``: no validation), then
  FastAPI's own ``serialize_response`` for the route's response field (the instance is
  passed through, pydantic's core writes the JSON);
- ``model_validate``: for comparison — validating the services' data again, what
  ``from_pb`` avoids.

Rounds alternate the paths (the machine is shared); the median per call is printed. A
benchmark, not a test: it asserts nothing and is never run by ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute, serialize_response
from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.models.tickets import Ticket, TicketList, people
from helpdesk_kit.resources import ticket_fields

NAMES = {str(i): f"User number {i}" for i in range(1, 20)}


def sample(i: int) -> t_pb.Ticket:
    now = Timestamp(seconds=1_790_000_000 + i)
    return t_pb.Ticket(
        id=1000 + i,
        number=1000 + i,
        ref=f"ref{i:08x}",
        subject="Printer on the third floor is on fire again",
        body="It started this morning. " * 20,
        priority=t_pb.PRIORITY_HIGH,
        state=t_pb.STATE_IN_WORK,
        unit_id=3,
        assignee_ids=[4, 5],
        author_id=7,
        locked_by=4,
        source="api",
        sla_plan_id=2,
        sla_state="ok",
        version=3,
        created_at=now,
        updated_at=now,
        allowed_actions=["unlock", "complete", "forward", "comment", "edit"],
        custom_fields_json='{"7": "Room 301", "8": ["a", "b"]}',
    )


def old_dict(t: t_pb.Ticket) -> dict[str, Any]:
    """The handler's dict before the models (tickets.ticket_out, as it was): the fields as
    the REST API shows them (the mapping now in helpdesk_kit.resources) plus the names."""
    return {
        **ticket_fields(t),
        "names": {str(i): NAMES[str(i)] for i in people(t) if str(i) in NAMES},
    }


def response_field(model: type) -> Any:
    app = FastAPI()

    async def endpoint() -> Any:
        return None

    app.add_api_route("/x", endpoint, response_model=model)
    route = app.routes[-1]
    assert isinstance(route, APIRoute)
    return route.response_field


def paths(batch: list[t_pb.Ticket]) -> dict[str, Callable[[], Any]]:
    one = len(batch) == 1
    field = response_field(Ticket if one else TicketList)

    def old() -> bytes:
        items = [old_dict(t) for t in batch]
        return orjson.dumps(items[0] if one else {"items": items, "next_cursor": None, "names": NAMES})

    async def typed() -> bytes:
        items = [Ticket.from_pb(t, NAMES) for t in batch]
        content = items[0] if one else TicketList.of(items=items, next_cursor=None, names=NAMES)
        out: bytes = await serialize_response(field=field, response_content=content, dump_json=True)
        return out

    def validated() -> bytes:
        items = [Ticket.model_validate(old_dict(t)) for t in batch]
        content = items[0] if one else TicketList(items=items, next_cursor=None, names=NAMES)
        return content.model_dump_json().encode()

    return {"dict+orjson": old, "model (FastAPI)": typed, "model_validate": validated}


async def per_call(fn: Callable[[], Any], seconds: float) -> float:
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            result = fn()
            if asyncio.iscoroutine(result):
                await result
        calls += 200
    return (time.perf_counter() - started) / calls * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for label, batch in (("one ticket", [sample(0)]), ("a page of 50", [sample(i) for i in range(50)])):
        candidates = paths(batch)
        sizes = {}
        for name, fn in candidates.items():
            out = fn()
            sizes[name] = len(await out if asyncio.iscoroutine(out) else out)
        times: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(args.rounds):
            for name, fn in candidates.items():
                times[name].append(await per_call(fn, args.seconds))
        print(f"{label}:")
        for name, values in times.items():
            print(f"  {name:16} {statistics.median(values):8.1f} µs per answer  ({sizes[name]} bytes)")


if __name__ == "__main__":
    asyncio.run(main())
