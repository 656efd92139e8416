"""Who is calling: the verified bearer token, turned into a Caller.

Access tokens (JWTs) are verified locally with identity's public keys; the
claims carry what permission checks need. Revocation still takes effect
quickly: whether the token's session is live (not logged out, user not
disabled) is asked of identity (``CheckSession``) and remembered for
``REVALIDATE_SECONDS``, so a request costs a dict lookup and at most one call
per session every few seconds. Personal API tokens (``hd_...``) are opaque:
identity resolves them (``AuthenticateApiToken``), cached the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_gateway.cache import Expiring
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
    session_id: str = ""

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
            session_id=str(c.get("sid") or ""),
        )

    @classmethod
    def from_user(cls, u: id_pb.User) -> Caller:
        return cls(
            user_id=u.id,
            login=u.login,
            kind="client" if u.kind == id_pb.USER_KIND_CLIENT else "staff",
            role=_ROLE_NAME.get(u.role),
            unit_ids=tuple(u.unit_ids),
            is_admin=u.is_admin,
            client_group_id=u.client_group_id or None,
            is_client_group_lead=u.is_client_group_lead,
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


_ROLE_NAME = {
    id_pb.ROLE_DEPARTMENT_HEAD: "department_head",
    id_pb.ROLE_UNIT_HEAD: "unit_head",
    id_pb.ROLE_UNIT_MEMBER: "unit_member",
}

API_TOKEN_PREFIX = "hd_"
REVALIDATE_SECONDS = 5.0


class SessionGuard:
    """Asks identity whether sessions and API tokens still count, a few seconds at a time."""

    def __init__(
        self, identity: identity_pb2_grpc.IdentityAsyncStub, ttl: float = REVALIDATE_SECONDS
    ) -> None:
        self._identity = identity
        self._sessions = Expiring(ttl)
        self._api_tokens = Expiring(ttl)

    async def check_session(self, session_id: str) -> None:
        active = self._sessions.get(session_id)
        if active is None:
            resp = await self._identity.CheckSession(id_pb.CheckSessionRequest(session_id=session_id))
            active = resp.active
            self._sessions.put(session_id, active)
        if not active:
            raise Unauthenticated("The session has ended: sign in again.")

    def forget_session(self, session_id: str) -> None:
        """This gateway's own logout takes effect at once (the others within the TTL)."""
        self._sessions.put(session_id, False)

    async def api_token_caller(self, token: str) -> Caller:
        caller = self._api_tokens.get(token)
        if caller is None:
            try:
                resp = await self._identity.AuthenticateApiToken(
                    id_pb.AuthenticateApiTokenRequest(token=token)
                )
                caller = Caller.from_user(resp.user)
            except Unauthenticated:
                caller = False
            self._api_tokens.put(token, caller)
        if caller is False:
            raise Unauthenticated("The API token is unknown, revoked or expired.")
        result: Caller = caller
        return result


def session_guard(request: Request) -> SessionGuard:
    guard: SessionGuard | None = getattr(request.app.state, "session_guard", None)
    if guard is None:
        guard = SessionGuard(request.app.state.clients.identity)
        request.app.state.session_guard = guard
    return guard


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Sign in: send Authorization: Bearer <token>.")
    if token.startswith(API_TOKEN_PREFIX):
        return await session_guard(request).api_token_caller(token)
    verifier: TokenVerifier = request.app.state.verifier
    caller = Caller.from_claims(await verifier.verify(token))
    if caller.session_id:
        await session_guard(request).check_session(caller.session_id)
    return caller


async def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Only administrators may do this.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
AdminDep = Annotated[Caller, Depends(current_admin)]
