"""The hoisted ``POST /api/v1/tickets`` (its lean endpoint, ``hot_routes.LEAN``) answers
every request exactly as the route it copies: status, headers in their order, body bytes.

Both apps are the real gateway, one with its hoisted copies and one without (the original
route then answers); tickets and identity are stand-ins of their gRPC services on a free
port, the caller is signed in with a token of a test key and a stand-in for identity's
session answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import orjson
from fastapi import FastAPI
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from helpdesk.tickets.v1 import tickets_pb2_grpc
from pydantic import TypeAdapter

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.testing.access_tokens import LiveSessions, bearer, keys
from helpdesk_gateway.api.models.tickets import Ticket, ticket_json
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_gateway.hot_routes import HOT
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_kit.tokens import TokenVerifier

UNITS = (1,)  # the caller's unit

# Microseconds on one time, none on another: the answer writes both as protobuf would.
_CREATED = datetime(2026, 12, 4, 5, 0, 0, 123_456, tzinfo=UTC)
_UPDATED = datetime(2026, 12, 4, 5, 0, 1, tzinfo=UTC)


class _Tickets(tickets_pb2_grpc.TicketsServicer):
    """Answers a create with every kind of field the answer writes set."""

    async def CreateTicket(self, request: t_pb.CreateTicketRequest, context: Any) -> t_pb.Ticket:
        return t_pb.Ticket(
            id=41,
            number=1041,
            ref="HD-1041",
            subject=request.subject,
            body=request.body,
            priority=request.priority,
            state=t_pb.STATE_NEW,
            unit_id=request.unit_id,
            assignee_ids=[*request.assignee_ids, 7],
            author_id=7,
            client_id=request.client_id,
            deadline=request.deadline if request.HasField("deadline") else None,
            created_at=to_timestamp(_CREATED),
            updated_at=to_timestamp(_UPDATED),
            source=request.source,
            allowed_actions=["lock", "comment"],
            version=1,
            custom_fields_json=request.custom_fields_json,
            sla_state="ok",
        )


class _Identity(identity_pb2_grpc.IdentityServicer):
    """Knows every user but 9 (whose name the answer then leaves out)."""

    async def GetUsers(self, request: id_pb.GetUsersRequest, context: Any) -> id_pb.GetUsersResponse:
        users = [id_pb.User(id=i, login=f"user{i}", full_name=f"Usér «{i}»") for i in request.ids if i != 9]
        return id_pb.GetUsersResponse(users=users)


@contextlib.asynccontextmanager
async def _services() -> AsyncIterator[str]:
    server = grpc.aio.server()
    tickets_pb2_grpc.add_TicketsServicer_to_server(_Tickets(), server)
    identity_pb2_grpc.add_IdentityServicer_to_server(_Identity(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


@contextlib.asynccontextmanager
async def _gateway(address: str, *, hoisted: bool) -> AsyncIterator[httpx.AsyncClient]:
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        Settings(
            identity_addr=address,
            tickets_addr=address,
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            grpc_insecure=True,
        )
    )
    app: FastAPI = build_app(clients)
    if not hoisted:
        app.router.routes[: len(HOT)] = []
    app.state.verifier = TokenVerifier(keys)
    app.state.session_guard = LiveSessions(units=UNITS)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http
    finally:
        await clients.close()


_GOOD = {
    "subject": "Printer \u00ab\u043e\u0433\u043e\u043d\u044c\u00bb",
    "body": "On fire\n<b>",
    "unit_id": 1,
}
# (body, headers) of each request: created ones, then every way to be refused.
_REQUESTS: list[tuple[bytes, dict[str, str]]] = [
    (orjson.dumps(_GOOD), bearer(7, units=UNITS)),
    (
        orjson.dumps(
            {
                **_GOOD,
                "priority": "high",
                "assignee_ids": [9, 8],
                "client_id": 5,
                "deadline": "2027-01-02T03:04:05.5+02:00",
                "custom_fields": {"3": "x", "4": ["a", "b"]},
                "source": "web",
            }
        ),
        {**bearer(7, units=UNITS), "Idempotency-Key": "once"},
    ),
    (orjson.dumps(_GOOD), {}),  # nobody signed in: 401
    (orjson.dumps({**_GOOD, "unit_id": 0}), {}),  # 401 before the bad body
    (orjson.dumps({**_GOOD, "unit_id": 0, "extra": 1}), bearer(7, units=UNITS)),  # 422, every field named
    (orjson.dumps(_GOOD), {**bearer(7, units=UNITS), "Idempotency-Key": "x\ty"}),  # a bad header: 422
    (b"{not json", bearer(7, units=UNITS)),
    (b"[]", bearer(7, units=UNITS)),
    (orjson.dumps(_GOOD), {"Authorization": "Bearer nonsense"}),
]


async def _answers(address: str, *, hoisted: bool) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    async with _gateway(address, hoisted=hoisted) as api:
        out = []
        for body, headers in _REQUESTS:
            answer = await api.post(
                "/api/v1/tickets", content=body, headers={"Content-Type": "application/json", **headers}
            )
            out.append((answer.status_code, list(answer.headers.multi_items()), answer.content))
        return out


async def test_the_lean_copy_answers_every_request_as_the_original_route() -> None:
    async with _services() as address:
        original = await _answers(address, hoisted=False)
        lean = await _answers(address, hoisted=True)
    assert [status for status, _, _ in original] == [201, 201, 401, 401, 422, 422, 422, 422, 401]
    for sent, got in zip(original, lean, strict=True):
        assert got == sent
    assert b'"5":"Us\xc3\xa9r' in original[1][2] and b'"9"' not in original[1][2]


def test_the_answer_is_what_pydantic_writes_for_the_model() -> None:
    ticket = t_pb.Ticket(
        id=1,
        subject='\x1f\u2028"/\\',
        assignee_ids=[3, 3],
        author_id=3,
        deadline=to_timestamp(datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
        created_at=to_timestamp(_CREATED),
        custom_fields_json='{"1":["\u00e9",null]}',
        body_html="<p>x</p>",
    )
    names = {"3": "Три"}
    assert ticket_json(ticket, names) == TypeAdapter(Ticket).dump_json(
        Ticket.from_pb(ticket, names), by_alias=True
    )
