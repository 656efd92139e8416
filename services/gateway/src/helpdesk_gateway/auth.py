"""Who is calling: the verified bearer token, turned into a Caller and a passport.

Access tokens (JWTs) are verified locally with identity's public keys. Rights are
not taken from them, though (they may be minutes old): for each session the gateway
asks identity (``CheckSession``) at most every ``REVALIDATE_SECONDS`` for a
*passport* — a short-lived token with the user's current role, units and admin flag
— and both decides with it and sends it with every gRPC call it makes for the request
(``helpdesk_kit.trust``). Personal API tokens (``hd_...``) are opaque: identity
resolves them (``AuthenticateApiToken``) into a passport, kept the same way; so are ZENLIX
API keys (``AuthenticateZenlixKey``), which only ZENLIX's JSON API (``api/zenlix``) accepts.

What is kept is dropped at once when identity announces that it no longer counts
(``SessionRevoked``, ``ApiTokenRevoked``, ``UserChanged`` — ``consumers``): logout,
revocation, disabling, demotion and password resets take effect on the very next
request on every replica; the few seconds' re-check is the fallback while NATS is away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
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

# The two ways to sign a request, as the OpenAPI document names them. Both are read from
# the one Authorization header; either one will do (FastAPI lists them as alternatives).
ACCESS_TOKEN = HTTPBearer(
    scheme_name="accessToken",
    bearerFormat="JWT",
    description="An access token from POST /api/v1/auth/login or /auth/refresh (15 minutes).",
    auto_error=False,
)
API_TOKEN = HTTPBearer(
    scheme_name="apiToken",
    bearerFormat="hd_…",
    description="A personal API token (POST /api/v1/me/tokens), for scripts and integrations.",
    auto_error=False,
)
Bearer = HTTPAuthorizationCredentials | None


@dataclass(frozen=True)
class _Entry:
    """A session's or API token's current passport and the caller it names."""

    passport: str
    caller: Caller
    token_id: int = 0  # the API token's id; 0 for a session


_Authenticate = Callable[[id_pb.AuthenticateApiTokenRequest], Awaitable[id_pb.AuthenticateApiTokenResponse]]


def _token_key(token: str) -> str:
    # Kept by digest, not by the secret itself: the cache holds no usable token.
    return hashlib.sha256(token.encode()).hexdigest()


class SessionGuard:
    """Asks identity for a fresh passport per session and API token, a few seconds at a time,
    and forgets one at once when identity says it ended (``session_ended``, ...).

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
        # Values: an _Entry, or False for a session or token known not to count.
        self._sessions = Expiring(ttl)
        self._api_tokens = Expiring(ttl)
        # Bumped by every revocation: an answer asked for before one is used, not kept
        # (it may predate the revocation and would otherwise outlive it by the TTL).
        self._epoch = 0

    async def _entry(self, passport: str, token_id: int = 0) -> _Entry:
        caller = UserClaims.from_claims(await self._passports.verify(passport))
        return _Entry(passport, caller, token_id)

    def _keep(self, cache: Expiring, key: str, entry: _Entry | bool, asked_at: int) -> None:
        if asked_at == self._epoch:
            cache.put(key, entry)

    async def session(self, session_id: str) -> tuple[str, Caller]:
        """The session's passport and caller; Unauthenticated when it no longer counts."""
        entry = self._sessions.get(session_id)
        if entry is None:
            asked_at = self._epoch
            resp = await self._identity.CheckSession(id_pb.CheckSessionRequest(session_id=session_id))
            entry = await self._entry(resp.passport) if resp.active else False
            self._keep(self._sessions, session_id, entry, asked_at)
        if entry is False:
            raise Unauthenticated("The session has ended: sign in again.")
        found: _Entry = entry
        return found.passport, found.caller

    async def api_token(self, token: str) -> tuple[str, Caller]:
        """The token's passport and caller; Unauthenticated when it no longer counts."""
        return await self._token(self._identity.AuthenticateApiToken, token, _token_key(token))

    async def zenlix_key(self, key: str) -> tuple[str, Caller]:
        """A ZENLIX API key's passport and caller, resolved and kept like an API token (the
        two share identity's numbering, so a revocation by id drops either)."""
        return await self._token(self._identity.AuthenticateZenlixKey, key, _token_key(f"zenlix:{key}"))

    async def _token(self, authenticate: _Authenticate, token: str, key: str) -> tuple[str, Caller]:
        entry = self._api_tokens.get(key)
        if entry is None:
            asked_at = self._epoch
            try:
                resp = await authenticate(id_pb.AuthenticateApiTokenRequest(token=token))
                entry = await self._entry(resp.passport, resp.token_id)
            except Unauthenticated:
                entry = False
            self._keep(self._api_tokens, key, entry, asked_at)
        if entry is False:
            raise Unauthenticated("The API token is unknown, revoked or expired.")
        found: _Entry = entry
        return found.passport, found.caller

    def forget_session(self, session_id: str) -> None:
        """The session ended (signed out here, or identity says so): refused from now on."""
        self._epoch += 1
        self._sessions.put(session_id, False)

    def sessions_ended(self, session_ids: Iterable[str]) -> None:
        for session_id in session_ids:
            self.forget_session(session_id)

    def api_tokens_revoked(self, token_ids: Iterable[int]) -> None:
        """These tokens no longer count: asked again (and refused) at their next use."""
        self._epoch += 1
        doomed = set(token_ids)
        self._api_tokens.drop_where(lambda e: isinstance(e, _Entry) and e.token_id in doomed)

    def user_changed(self, user_id: int) -> None:
        """His rights changed (or he was disabled): every passport of his is asked for anew."""
        self._epoch += 1
        for cache in (self._sessions, self._api_tokens):
            cache.drop_where(lambda e: isinstance(e, _Entry) and e.caller.user_id == user_id)


def session_guard(request: Request) -> SessionGuard:
    guard: SessionGuard | None = getattr(request.app.state, "session_guard", None)
    if guard is None:
        guard = SessionGuard(request.app.state.clients.identity, request.app.state.passports)
        request.app.state.session_guard = guard
    return guard


async def current_caller(
    request: Request,
    # Declared for the OpenAPI document (either scheme will do); the header is read below,
    # so that the rate limits can ask for the caller with the request alone.
    _access: Annotated[Bearer, Security(ACCESS_TOKEN)] = None,
    _api: Annotated[Bearer, Security(API_TOKEN)] = None,
) -> Caller:
    return await caller_of(request)


async def caller_of(request: Request) -> Caller:
    """The signed-in caller of ``request`` (Unauthenticated without a good token), and his
    passport on every gRPC call the request makes: :func:`current_caller` without the
    declarations FastAPI solves as dependencies, for plain calls."""
    # Asked once per request (the rate limits may ask before the route does).
    # Read from the scope's state itself: Starlette's State answers a name it lacks (every
    # request's first ask) with an AttributeError, a cost at this rate.
    state: dict[str, Any] = request.scope.setdefault("state", {})
    known: tuple[str, Caller] | None = state.get("caller")
    if known is not None:
        use_passport(known[0])
        return known[1]
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
    state["caller"] = (passport, caller)
    # Every gRPC call this request makes carries the passport: the services decide
    # with it, never with anything the gateway says about the user.
    use_passport(passport)
    return caller


async def current_viewer(
    request: Request,
    # As for current_caller: declared for the document, where a route taking the viewer
    # says that either scheme, or none, will do (``openapi.py``).
    _access: Annotated[Bearer, Security(ACCESS_TOKEN)] = None,
    _api: Annotated[Bearer, Security(API_TOKEN)] = None,
) -> Caller | None:
    """The signed-in caller, or None for an anonymous visitor (no Authorization header):
    public pages call the services for nobody, without a passport. A token that is sent
    must be good (401 otherwise), so a signed-in page never silently turns anonymous."""
    if not request.headers.get("authorization"):
        return None
    return await caller_of(request)


async def current_admin(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Only administrators may do this.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
ViewerDep = Annotated[Caller | None, Depends(current_viewer)]
AdminDep = Annotated[Caller, Depends(current_admin)]
