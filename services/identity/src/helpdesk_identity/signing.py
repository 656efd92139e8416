"""Access tokens: EdDSA (Ed25519) JWTs signed by identity, verifiable by every service.

Keys are rotatable: a new key signs from then on; retired keys keep verifying
until every token they signed has expired.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from helpdesk_identity.domain import User
from helpdesk_kit.tokens import ALGORITHM, AUDIENCE, ISSUER


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
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user.id),
        "iat": now,
        "exp": now + ttl,
        "sid": session_id,
        "login": user.login,
        "kind": user.kind.value,
        "role": user.role.value if user.role else None,
        "units": user.unit_ids,
        "adm": user.is_admin,
        "cg": user.client_group_id,
        "cgl": user.is_client_group_lead,
    }
    key = serialization.load_pem_private_key(private_pem, password=None)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})  # type: ignore[arg-type]
