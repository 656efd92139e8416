"""The gateway's own CPU per created ticket, in one process, without the services.

    .venv/bin/python bench/gateway_hot_path.py [--requests 5000] [--rounds 3]

``POST /api/v1/tickets`` is sent straight into the gateway's ASGI app (no socket, no
HTTP client): the access token is verified as in production (EdDSA, the verified claims
cached per token), the session's passport comes from a stand-in for identity, and
``CreateTicket`` and ``GetUsers`` from stand-ins for the two services' stubs. What is
measured is therefore what the gateway adds to a ticket — middleware, routing,
dependencies and validation, the answer — and nothing else: this process's CPU time per
request (median of the rounds). No Redis: the rate limits are off, as in
bench/create_tickets.py. A benchmark, not a test: it asserts only that every answer is 201.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import UserClaims

KID = "bench"
KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
BODY = b'{"subject":"Benchmark ticket","body":"Created by bench","priority":"normal","unit_id":1}'


def access_token() -> str:
    now = time.time()
    claims = {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": "7",
        "iat": int(now),
        "exp": now + 3600,
        "login": "bench",
        "kind": "staff",
        "role": "unit_member",
        "units": [1],
        "adm": False,
        "sid": "bench-session",
    }
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": KID})


class Sessions:
    """Identity's answer about the session: live, the caller from the token's claims."""

    def __init__(self, token: str) -> None:
        claims = jwt.decode(token, options={"verify_signature": False})
        self._answer = ("passport", UserClaims.from_claims(claims))

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        return self._answer


class Tickets:
    """tickets' CreateTicket: the ticket as tickets would answer it."""

    def __init__(self) -> None:
        self._next = 0

    async def CreateTicket(self, request: t_pb.CreateTicketRequest, **_: Any) -> t_pb.Ticket:
        self._next += 1
        return t_pb.Ticket(
            id=self._next,
            subject=request.subject,
            body=request.body,
            priority=request.priority,
            unit_id=request.unit_id,
            author_id=7,
            number=self._next,
            state=t_pb.STATE_NEW,
            version=1,
        )


class Identity:
    """identity's GetUsers (asked once: the gateway keeps names a minute)."""

    async def GetUsers(self, request: id_pb.GetUsersRequest, **_: Any) -> id_pb.GetUsersResponse:
        return id_pb.GetUsersResponse(users=[id_pb.User(id=i, full_name="Bench") for i in request.ids])


async def _keys() -> dict[str, bytes]:
    return {KID: PEM}


async def call(app: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """One POST /api/v1/tickets through the ASGI app; its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/tickets",
        "raw_path": b"/api/v1/tickets",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def main(requests: int, rounds: int) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        Settings(
            identity_addr=nobody,
            tickets_addr=nobody,
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            grpc_insecure=True,
        )
    )
    token = access_token()
    app = build_app(clients)
    app.state.verifier = TokenVerifier(_keys)
    app.state.session_guard = Sessions(token)
    clients.tickets = Tickets()  # type: ignore[assignment]
    clients.identity = Identity()  # type: ignore[assignment]
    headers = [
        (b"host", b"gw"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    for _ in range(200):  # warm up: caches, the route table's lazy parts
        assert await call(app, headers) == 201
    per_request: list[float] = []
    for r in range(rounds):
        statuses: set[int] = set()
        cpu = time.process_time()
        for _ in range(requests):
            statuses.add(await call(app, headers))
        spent = (time.process_time() - cpu) / requests
        assert statuses == {201}, statuses
        per_request.append(spent)
        print(f"round {r + 1}: {spent * 1e6:7.1f} µs CPU per created ticket", flush=True)
    print(f"median: {statistics.median(per_request) * 1e6:.1f} µs CPU per created ticket")
    await clients.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
