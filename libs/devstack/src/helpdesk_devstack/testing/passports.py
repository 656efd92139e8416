"""Passports for tests of one service: signed by a key of the test's own, as identity would.

A service under test verifies them with ``issuer.keys`` (its ``passport_verifier``);
the test acts for a user with ``acting_for(issuer.sign(user_id=..., role=...))``.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from helpdesk_kit.tokens import ISSUER
from helpdesk_kit.trust import PASSPORT_AUDIENCE

__all__ = ["PassportIssuer"]


class PassportIssuer:
    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        self.kid = "test-key"

    async def keys(self) -> dict[str, bytes]:
        pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {self.kid: pem}

    def sign(
        self,
        *,
        user_id: int,
        kind: str = "staff",
        role: str | None = "unit_member",
        unit_ids: tuple[int, ...] = (),
        is_admin: bool = False,
        client_group_id: int | None = None,
        is_client_group_lead: bool = False,
        ttl: int = 60,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": PASSPORT_AUDIENCE,
            "sub": str(user_id),
            "iat": now,
            "exp": now + ttl,
            "sid": f"test-{user_id}",
            "login": f"user{user_id}",
            "kind": kind,
            "role": None if kind == "client" else role,
            "units": list(unit_ids),
            "adm": is_admin,
            "cg": client_group_id,
            "cgl": is_client_group_lead,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
