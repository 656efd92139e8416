"""Who is calling: the verified bearer token, turned into a Caller and a passport.

Access tokens (JWTs) are verified locally with identity's public keys. Rights are
not taken from them, though (they may be minutes old): for each session the gateway
asks identity (``CheckSession``) at most every ``REVALIDATE_SECONDS`` for a
*passport* — a short-lived token with the user's current role, units and admin flag
— and both decides with it and sends it with every gRPC call it makes for the request
(``helpdesk_kit.trust``). So logout, disabling, demotion and password reset take
effect within seconds. Personal API tokens (``hd_...``) are opaque: identity resolves
them (``AuthenticateApiToken``) into a passport, kept the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc

from helpdesk_gateway.cache import Expiring
from helpdesk_kit.errors import Forbidden, Unauthenticated
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import UserClaims, use_passport

# The signed-in user a request acts for, as his current passport describes him.
Caller = UserClaims

API_TOKEN_PREFIX = "hd_"
REVALIDATE_SECONDS = 5.0

# A session's or token's passport and the caller it names; False when it no longer counts.
_Entry = tuple[str, Caller]


class SessionGuard:
    """Asks identity for a fresh passport per session and API token, a few seconds at a time.

    ``ttl`` must stay well under identity's passport lifetime (15 s by default).
    """

    def __init__(
        self,
        identity: identity_pb2_grpc.IdentityAsyncStub,
        passports: TokenVerifier,
        ttl: float = REVALIDATE_SECONDS,
    ) -> None:
        self._identity = identity
        self._passports = passports
        self._sessions = Expiring(ttl)
        self._api_tokens = Expiring(ttl)

    async def _entry(self, passport: str) -> _Entry:
        return passport, UserClaims.from_claims(await self._passports.verify(passport))

    async def session(self, session_id: str) -> _Entry:
        entry = self._sessions.get(session_id)
        if entry is None:
            resp = await self._identity.CheckSession(id_pb.CheckSessionRequest(session_id=session_id))
            entry = await self._entry(resp.passport) if resp.active else False
            self._sessions.put(session_id, entry)
        if entry is False:
            raise Unauthenticated("The session has ended: sign in again.")
        found: _Entry = entry
        return found

    def forget_session(self, session_id: str) -> None:
        """This gateway's own logout takes effect at once (the others within the TTL)."""
        self._sessions.put(session_id, False)

    async def api_token(self, token: str) -> _Entry:
        entry = self._api_tokens.get(token)
        if entry is None:
            try:
                resp = await self._identity.AuthenticateApiToken(
                    id_pb.AuthenticateApiTokenRequest(token=token)
                )
                entry = await self._entry(resp.passport)
            except Unauthenticated:
                entry = False
            self._api_tokens.put(token, entry)
        if entry is False:
            raise Unauthenticated("The API token is unknown, revoked or expired.")
        found: _Entry = entry
        return found


def session_guard(request: Request) -> SessionGuard:
    guard: SessionGuard | None = getattr(request.app.state, "session_guard", None)
    if guard is None:
        guard = SessionGuard(request.app.state.clients.identity, request.app.state.passports)
        request.app.state.session_guard = guard
    return guard


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Sign in: send Authorization: Bearer <token>.")
    guard = session_guard(request)
    if token.startswith(API_TOKEN_PREFIX):
        passport, caller = await guard.api_token(token)
    else:
        verifier: TokenVerifier = request.app.state.verifier
        session_id = str((await verifier.verify(token)).get("sid") or "")
        if not session_id:
            raise Unauthenticated("The access token names no session.")
        passport, caller = await guard.session(session_id)
    # Every gRPC call this request makes carries the passport: the services decide
    # with it, never with anything the gateway says about the user.
    use_passport(passport)
    return caller


async def current_viewer(request: Request) -> Caller | None:
    """The signed-in caller, or None for an anonymous visitor (no Authorization header):
    public pages call the services for nobody, without a passport. A token that is sent
    must be good (401 otherwise), so a signed-in page never silently turns anonymous."""
    if not request.headers.get("authorization"):
        return None
    return await current_caller(request)


async def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Only administrators may do this.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
ViewerDep = Annotated[Caller | None, Depends(current_viewer)]
AdminDep = Annotated[Caller, Depends(current_admin)]
