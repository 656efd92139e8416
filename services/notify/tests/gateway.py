"""Notify behind the real gateway app: notify's gRPC servicers on a free port (mTLS, passports
checked), the gateway's routes and auth in front. Access tokens are signed with a test key
the gateway trusts; each names a session whose passport the test's issuer signs, as
identity would."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpdesk.notify.v1 import notify_pb2_grpc as pb_grpc

from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings as GatewaySettings
from helpdesk_kit.db import Database
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import Mesh, UserClaims, passport_verifier
from helpdesk_notify.rpc import NotifyService, NotifySettingsService

from .fakes import Directory, free_port

KID = "notify-test"
_KEY = Ed25519PrivateKey.generate()
_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def bearer(user_id: int, *, admin: bool) -> dict[str, str]:
    """An access token whose session stands for user ``user_id`` (an admin or not)."""
    now = time.time()
    claims = {"iss": "helpdesk", "aud": "helpdesk", "sub": str(user_id), "iat": int(now), "exp": now + 600}
    claims["sid"] = f"{user_id}:{'admin' if admin else 'member'}"
    return {"Authorization": f"Bearer {jwt.encode(claims, _KEY, algorithm='EdDSA', headers={'kid': KID})}"}


class Sessions:
    """Stands in for identity's answer about a session: a passport for its user."""

    def __init__(self, passports: PassportIssuer) -> None:
        self._passports = passports

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        user, _, kind = session_id.partition(":")
        passport = self._passports.sign(user_id=int(user), is_admin=kind == "admin")
        claims = jwt.decode(passport, options={"verify_signature": False})
        return passport, UserClaims.from_claims(claims)


async def _keys() -> dict[str, bytes]:
    return {KID: _PEM}


@contextlib.asynccontextmanager
async def gateway(
    db: Database, directory: Directory, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    server = GrpcServer(
        port=free_port(),
        service_names=["helpdesk.notify.v1.Notify", "helpdesk.notify.v1.NotifySettings"],
        mesh=mesh("notify"),
        passports=passport_verifier(passports.keys),
    )
    pb_grpc.add_NotifyServicer_to_server(NotifyService(db=db), server.server)
    pb_grpc.add_NotifySettingsServicer_to_server(
        NotifySettingsService(db=db, directory=directory, public_url="http://hd", mailing_per_second=0),
        server.server,
    )
    await server.start()
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        GatewaySettings(
            identity_addr=nobody,
            tickets_addr=nobody,
            sla_addr=nobody,
            notify_addr=f"127.0.0.1:{server.port}",
            portal_addr=nobody,
            tls_dir=mesh("gateway").tls_dir,
        )
    )
    app = build_app(clients)
    app.state.verifier = TokenVerifier(_keys)
    app.state.session_guard = Sessions(passports)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http
    finally:
        await clients.close()
        await server.stop(0)
