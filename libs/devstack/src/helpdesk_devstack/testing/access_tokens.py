"""Signed-in callers for tests of the gateway app: access tokens signed with a key of the
tests' own, the key lookup the gateway's verifier is given for it, and a stand-in for
identity's answer about sessions (every session is live)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from helpdesk_kit.trust import UserClaims

KID = "access-tokens-test"
_KEY = Ed25519PrivateKey.generate()
_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def claims(user_id: int, *, units: tuple[int, ...] = ()) -> dict[str, Any]:
    """A unit member's access token claims; its session is named after the user."""
    now = time.time()
    return {
        "iss": "helpdesk",
        "aud": "helpdesk",
        "sub": str(user_id),
        "iat": int(now),
        "exp": now + 600,
        "login": f"user{user_id}",
        "kind": "staff",
        "role": "unit_member",
        "units": list(units),
        "adm": False,
        "sid": f"session-of-{user_id}",
    }


def bearer(user_id: int, *, units: tuple[int, ...] = ()) -> dict[str, str]:
    """The Authorization header of user ``user_id``."""
    token = jwt.encode(claims(user_id, units=units), _KEY, algorithm="EdDSA", headers={"kid": KID})
    return {"Authorization": "Bearer " + token}


async def keys() -> dict[str, bytes]:
    """The verifier's key lookup: the tests' key."""
    return {KID: _PEM}


class LiveSessions:
    """Identity's answer about a session, for a session named by ``claims``: live, and the
    user's claims as ``claims`` writes them."""

    def __init__(self, *, units: tuple[int, ...] = ()) -> None:
        self._units = units

    async def session(self, session_id: str) -> tuple[str, UserClaims]:
        user_id = int(session_id.rsplit("-", 1)[1])
        return "passport", UserClaims.from_claims(claims(user_id, units=self._units))
