"""Page cursors: opaque URL-safe text to the caller, a keyset position to us. A cursor
that is not one of ours (or of another list) is the caller's mistake: a 422 on ``cursor``."""

from __future__ import annotations

import base64

import orjson

from helpdesk_kit.errors import FieldError
from helpdesk_portal.errors import InvalidPortal

MAX_CURSOR = 500


def encode(*parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


def decode(cursor: str, kind: str) -> list[object]:
    """The parts of a cursor made by ``encode(kind, ...)``."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError(cursor)
        parts = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(parts, list) or not parts or parts[0] != kind:
            raise ValueError(cursor)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidPortal(
            "Bad cursor.", errors=[FieldError("cursor", f"not a cursor of this {kind} list")]
        ) from exc
    return parts[1:]


def number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**62) < value < 2**63:
        raise InvalidPortal("Bad cursor.", errors=[FieldError("cursor", "not a cursor of this list")])
    return value


def text(value: object) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidPortal("Bad cursor.", errors=[FieldError("cursor", "not a cursor of this list")])
    return value
