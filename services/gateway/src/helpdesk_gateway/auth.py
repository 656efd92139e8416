"""Who is calling: the verified bearer token, turned into a Caller.

Access tokens are verified locally with identity's public keys (no call per
request); the claims carry what permission checks need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.errors import Forbidden, Unauthenticated
from helpdesk_kit.tokens import TokenVerifier


@dataclass(frozen=True)
class Caller:
    user_id: int
    login: str
    kind: str
    role: str | None
    unit_ids: tuple[int, ...]
    is_admin: bool
    client_group_id: int | None
    is_client_group_lead: bool

    @classmethod
    def from_claims(cls, c: dict[str, Any]) -> Caller:
        return cls(
            user_id=int(c["sub"]),
            login=c.get("login", ""),
            kind=c.get("kind", "client"),
            role=c.get("role"),
            unit_ids=tuple(c.get("units") or ()),
            is_admin=bool(c.get("adm")),
            client_group_id=c.get("cg"),
            is_client_group_lead=bool(c.get("cgl")),
        )

    def as_actor(self) -> tickets_pb2.Actor:
        return tickets_pb2.Actor(
            user_id=self.user_id,
            is_client=self.kind == "client",
            role=self.role or "",
            unit_ids=self.unit_ids,
            is_admin=self.is_admin,
            client_group_id=self.client_group_id or 0,
            is_client_group_lead=self.is_client_group_lead,
        )


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Sign in: send Authorization: Bearer <token>.")
    verifier: TokenVerifier = request.app.state.verifier
    return Caller.from_claims(await verifier.verify(token.strip()))


async def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Only administrators may do this.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
AdminDep = Annotated[Caller, Depends(current_admin)]
