"""Access tokens: EdDSA (Ed25519) JWTs signed by identity, verifiable by every service.

Keys are rotatable: a new key signs from then on; retired keys keep verifying
until every token they signed has expired.
"""

from __future__ import annotations

import functools
import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from helpdesk_identity.domain import User
from helpdesk_kit.tokens import ALGORITHM, AUDIENCE, ISSUER
from helpdesk_kit.trust import PASSPORT_AUDIENCE


def new_key_pair() -> tuple[str, bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return secrets.token_hex(8), private_pem, public_pem


def access_token(*, user: User, kid: str, private_pem: bytes, ttl: int, session_id: str) -> str:
    """The token a signed-in user holds (public: browsers and integrators keep it)."""
    return _sign(user=user, kid=kid, private_pem=private_pem, ttl=ttl, session_id=session_id, aud=AUDIENCE)


def passport(*, user: User, kid: str, private_pem: bytes, ttl: int, session_id: str) -> str:
    """The short-lived token for internal calls: the same claims, another audience, so that
    neither can be played as the other."""
    return _sign(
        user=user, kid=kid, private_pem=private_pem, ttl=ttl, session_id=session_id, aud=PASSPORT_AUDIENCE
    )


@functools.lru_cache(maxsize=8)
def _private_key(kid: str, private_pem: bytes) -> Any:
    return serialization.load_pem_private_key(private_pem, password=None)


def _sign(*, user: User, kid: str, private_pem: bytes, ttl: int, session_id: str, aud: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": aud,
        "sub": str(user.id),
        "iat": now,
        "exp": now + ttl,
        "sid": session_id,
        "login": user.login,
        "name": user.full_name,  # what other people see of him (presence), as at sign-in
        "kind": user.kind.value,
        "role": user.role.value if user.role else None,
        "units": user.unit_ids,
        "adm": user.is_admin,
        "cg": user.client_group_id,
        "cgl": user.is_client_group_lead,
    }
    return jwt.encode(claims, _private_key(kid, private_pem), algorithm=ALGORITHM, headers={"kid": kid})
