"""Trust between services: who calls (a service, proven by its certificate) and for whom
(an end user, proven by a passport).

Every gRPC method states in its proto who may call it (the ``helpdesk.auth.v1.access``
option): ``users_via`` — services that may call it for an end user, with a passport;
``services`` — services that may call it on their own behalf. A method that states
nothing may be called by nobody.

A *passport* is a short-lived EdDSA token that identity signs (audience
``helpdesk-internal``) with the user's current role, units and admin flag. The
gateway gets one for each session from identity every few seconds and sends it with
every call it makes for that user; services verify it offline with identity's public
keys. A public access token is not a passport (its audience differs), so a token
stolen from a browser cannot be played against a service directly.

Decision order for a call (see docs/adr/0008-trust-between-services.md):

1. the calling service comes from the peer's mTLS certificate (common name), checked
   by TLS against the mesh's CA; no certificate → UNAUTHENTICATED;
2. caller in ``users_via`` with a passport → it must be valid → the call acts for its user;
3. caller in ``services`` → the call acts for nobody (a service in both lists without a
   passport: a public read, e.g. the portal for anonymous visitors);
4. caller in ``users_via`` without a passport → UNAUTHENTICATED; otherwise → PERMISSION_DENIED.

Plain-text gRPC exists only for tests that switch it on (``HELPDESK_GRPC_INSECURE``);
there the caller names itself in a header, which proves nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from helpdesk.auth.v1 import access_pb2
from helpdesk.identity.v1 import identity_pb2, identity_pb2_grpc

from helpdesk_kit.config import ServiceSettings
from helpdesk_kit.errors import Forbidden, Unauthenticated
from helpdesk_kit.tokens import KeyFetcher, TokenVerifier

__all__ = [
    "PASSPORT_AUDIENCE",
    "PASSPORT_HEADER",
    "SERVICE_HEADER",
    "Mesh",
    "Principal",
    "Rule",
    "UserClaims",
    "acting_as",
    "acting_for",
    "current_principal",
    "current_user",
    "identity_keys",
    "outgoing_passport",
    "passport_verifier",
    "rules_of",
    "use_passport",
]

PASSPORT_AUDIENCE = "helpdesk-internal"
HEALTH_PREFIX = "/grpc.health.v1.Health/"
PASSPORT_HEADER = "helpdesk-passport"
# Only read when plain text is switched on for a test: there nothing proves the caller.
SERVICE_HEADER = "helpdesk-service"


@dataclass(frozen=True)
class UserClaims:
    """What a verified token says about its user: the one reading of token claims,
    for access tokens (gateway, realtime) and passports (every service) alike."""

    user_id: int
    login: str
    kind: str  # staff | client
    role: str | None  # department_head | unit_head | unit_member | None for clients
    unit_ids: tuple[int, ...]
    is_admin: bool
    client_group_id: int | None
    is_client_group_lead: bool
    session_id: str = ""

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    @classmethod
    def from_claims(cls, c: dict[str, Any]) -> UserClaims:
        return cls(
            user_id=int(c["sub"]),
            login=str(c.get("login", "")),
            kind=str(c.get("kind", "client")),
            role=c.get("role"),
            unit_ids=tuple(int(u) for u in c.get("units") or ()),
            is_admin=bool(c.get("adm")),
            client_group_id=c.get("cg"),
            is_client_group_lead=bool(c.get("cgl")),
            session_id=str(c.get("sid") or ""),
        )


@dataclass(frozen=True)
class Principal:
    """Who a call comes from (the service) and whom it acts for (``None``: nobody)."""

    service: str
    user: UserClaims | None


@dataclass(frozen=True)
class Rule:
    users_via: frozenset[str]
    services: frozenset[str]


def rules_of(service_full_name: str) -> dict[str, Rule]:
    """The access rule of each method of a gRPC service, keyed ``/pkg.Service/Method``.

    Methods without the option get an empty rule: nobody may call them.
    """
    service = descriptor_pool.Default().FindServiceByName(service_full_name)
    rules: dict[str, Rule] = {}
    for method in service.methods:
        access = method.GetOptions().Extensions[access_pb2.access]
        rules[f"/{service.full_name}/{method.name}"] = Rule(
            users_via=frozenset(access.users_via), services=frozenset(access.services)
        )
    return rules


_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("helpdesk_principal")
_outgoing: contextvars.ContextVar[str] = contextvars.ContextVar("helpdesk_outgoing_passport", default="")


def current_principal() -> Principal:
    """The caller of the gRPC call being handled (set by the kit's server before the handler)."""
    try:
        return _principal.get()
    except LookupError as exc:  # a handler called outside the kit's server: a bug, never a user error
        raise RuntimeError("no gRPC call is being handled here") from exc


def current_user() -> UserClaims:
    """The end user the call acts for; Unauthenticated when it acts for nobody."""
    user = current_principal().user
    if user is None:
        raise Unauthenticated("This call must act for a signed-in user.")
    return user


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Runs a block as if the kit's server had admitted a call from ``principal``
    (what the server does; tests of a servicer call it directly)."""
    token = _principal.set(principal)
    try:
        yield
    finally:
        _principal.reset(token)


def use_passport(passport: str) -> None:
    """Calls made from here on in this task (and tasks it starts) carry this passport:
    for a request handler acting for one user from start to end."""
    _outgoing.set(passport)


@contextmanager
def acting_for(passport: str) -> Iterator[None]:
    """Calls made inside the block carry this passport."""
    token = _outgoing.set(passport)
    try:
        yield
    finally:
        _outgoing.reset(token)


def outgoing_passport() -> str:
    return _outgoing.get()


class Mesh:
    """This process's place among the services: its name, and how it proves itself.

    With ``tls_dir`` (the layout of a Kubernetes TLS Secret plus the CA: ``tls.crt``,
    ``tls.key``, ``ca.crt``) every connection is mutual TLS; the certificate's common
    name is the service's name. ``insecure`` switches to plain text, for tests only.
    """

    def __init__(self, *, service: str, tls_dir: str = "", insecure: bool = False) -> None:
        if not tls_dir and not insecure:
            raise ValueError(
                "gRPC needs HELPDESK_TLS_DIR (ca.crt, tls.crt, tls.key); "
                "HELPDESK_GRPC_INSECURE=true is for tests only"
            )
        self.service = service
        self.tls_dir = tls_dir
        self.insecure = insecure and not tls_dir
        self._ca = self._cert = self._key = b""
        if not self.insecure:
            folder = Path(tls_dir)
            self._ca = (folder / "ca.crt").read_bytes()
            self._cert = (folder / "tls.crt").read_bytes()
            self._key = (folder / "tls.key").read_bytes()

    @classmethod
    def from_settings(cls, settings: ServiceSettings, *, service: str) -> Mesh:
        return cls(service=service, tls_dir=settings.tls_dir, insecure=settings.grpc_insecure)

    def server_credentials(self) -> grpc.ServerCredentials | None:
        if self.insecure:
            return None
        return grpc.ssl_server_credentials(
            [(self._key, self._cert)], root_certificates=self._ca, require_client_auth=True
        )

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if self.insecure:
            return None
        return grpc.ssl_channel_credentials(
            root_certificates=self._ca, private_key=self._key, certificate_chain=self._cert
        )

    def peer_service(self, context: Any) -> str | None:
        """The calling service: its certificate's common name (verified by TLS against the CA)."""
        if self.insecure:
            for key, value in context.invocation_metadata() or ():
                if key == SERVICE_HEADER:
                    return str(value)
            return None
        names = context.auth_context().get("x509_common_name") or ()
        return names[0].decode() if names else None


def identity_keys(channel: grpc.aio.Channel) -> KeyFetcher:
    """Fetches identity's public keys (they verify access tokens and passports alike)."""
    stub = identity_pb2_grpc.IdentityStub(channel)

    async def fetch() -> dict[str, bytes]:
        resp = await stub.GetVerificationKeys(identity_pb2.GetVerificationKeysRequest())
        return {k.key_id: k.public_key_pem for k in resp.keys}

    return fetch


# Clocks inside one cluster agree closely; a passport lives seconds, so little leeway.
PASSPORT_LEEWAY_SECONDS = 1


def passport_verifier(fetch_keys: KeyFetcher) -> TokenVerifier:
    return TokenVerifier(fetch_keys, audience=PASSPORT_AUDIENCE, leeway=PASSPORT_LEEWAY_SECONDS)


class Gatekeeper:
    """Decides, per call, whether it may go on and for whom (the order in the module doc)."""

    def __init__(self, *, mesh: Mesh, passports: TokenVerifier, rules: dict[str, Rule]) -> None:
        self._mesh = mesh
        self._passports = passports
        self._rules = rules

    def covers(self, method: str) -> bool:
        """Every method but the standard health service's (probes must work without
        a user; it says only whether the process serves)."""
        return not method.startswith(HEALTH_PREFIX)

    async def admit(self, method: str, context: Any) -> Principal:
        service = self._mesh.peer_service(context)
        if not service:
            raise Unauthenticated("The caller presented no service certificate.")
        rule = self._rules.get(method)
        if rule is None:
            raise Forbidden(f"{method} is not open to any caller.")
        passport = ""
        for key, value in context.invocation_metadata() or ():
            if key == PASSPORT_HEADER:
                passport = str(value)
        if service in rule.users_via and passport:
            claims = await self._passports.verify(passport)
            return Principal(service=service, user=UserClaims.from_claims(claims))
        if service in rule.services:
            # On its own behalf; a service named in both lists acts for a user when it
            # brings a passport (a valid one), for nobody otherwise (public reads).
            return Principal(service=service, user=None)
        if service in rule.users_via:
            raise Unauthenticated("This call must carry the user's passport.")
        raise Forbidden(f"The {service} service may not call {method}.")
