"""Secrets at rest: values a service must read back (signing keys, TOTP secrets, SMTP and
LDAP passwords, tokens of other services) are stored sealed with AES-256-GCM.

The key ring comes from the environment (``HELPDESK_SECRET_KEYS``: comma-separated
``<key id>:<base64 of 32 bytes>``, the first one current), never from the database,
so a dump of the database alone reveals none of them. A sealed value reads
``sealed:1:<key id>:<base64 of nonce + ciphertext>``; the *purpose* (e.g.
``identity.totp:42``) is bound to it as associated data, so a sealed value copied
into another row or column does not open. Values written before sealing existed
open as themselves; each service's ``migrate`` re-seals them (and re-seals values
of retired keys with the current one): key rotation in docs/operations.md.

The ring is configured once per process (:func:`configure`, from the service's
settings at start-up); a service that has secrets to keep refuses to start without it.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "PREFIX",
    "KeyRing",
    "SealingError",
    "configure",
    "is_sealed_with_current_key",
    "open_value",
    "seal",
]

PREFIX = "sealed:1:"
_NONCE = 12


class SealingError(RuntimeError):
    """No key ring, a malformed ring, an unknown key, or a value that does not open."""


class KeyRing:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise SealingError("the current key is not in the ring")
        for kid, key in keys.items():
            if len(key) != 32 or not kid or ":" in kid:
                raise SealingError(f"key {kid!r}: needs an id without ':' and 32 bytes")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    @classmethod
    def parse(cls, setting: str) -> KeyRing:
        """``<id>:<base64>[,<id>:<base64>...]``, the first one current."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in setting.split(",")):
            if not part:
                continue
            kid, _, encoded = part.partition(":")
            try:
                keys[kid] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise SealingError(f"key {kid!r} is not base64") from exc
            order.append(kid)
        if not order:
            raise SealingError("HELPDESK_SECRET_KEYS holds no key")
        return cls(keys, order[0])

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._keys[self.current].encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, purpose: str) -> str:
        if not value.startswith(PREFIX):
            return value  # written before sealing: re-sealed by the next migrate
        kid, _, encoded = value[len(PREFIX) :].partition(":")
        cipher = self._keys.get(kid)
        if cipher is None:
            raise SealingError(f"the value was sealed with key {kid!r}, which is not in the ring")
        try:
            raw = base64.b64decode(encoded, validate=True)
            return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise SealingError(f"a sealed value for {purpose} does not open") from exc

    def is_current(self, value: str) -> bool:
        return value.startswith(f"{PREFIX}{self.current}:")


_ring: KeyRing | None = None


def configure(setting: str) -> None:
    """Sets this process's key ring from ``HELPDESK_SECRET_KEYS`` (raises on a bad ring)."""
    global _ring
    _ring = KeyRing.parse(setting)


def _configured() -> KeyRing:
    if _ring is None:
        raise SealingError("HELPDESK_SECRET_KEYS is not set: secrets cannot be stored or read")
    return _ring


def seal(plaintext: str, *, purpose: str) -> str:
    return _configured().seal(plaintext, purpose)


def open_value(value: str, *, purpose: str) -> str:
    """The plaintext of a sealed value ("" stays ""; an unsealed old value as it is)."""
    if not value:
        return value
    return _configured().open(value, purpose)


def is_sealed_with_current_key(value: str) -> bool:
    return _configured().is_current(value)
