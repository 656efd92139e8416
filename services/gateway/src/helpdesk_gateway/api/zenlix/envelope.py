"""ZENLIX's answer envelope, its error strings (misspellings included) and the request's fields.

Every mode but ``auth`` and ``reset_token`` answers a JSON array holding one object:
the mode's payload, then ``status`` (``ok`` / ``error``) and ``error_description``.
Clients look at ``status``, so ZENLIX's answers keep HTTP 200; only what ZENLIX never
had (rate limits, a service that is down, a body too large) gets a real HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Response

from helpdesk_kit.errors import InvalidInput

# ZENLIX's own strings, exactly.
NOT_ALL = "not all params"
INPUT_NOT_ALL = "input values not alls"
AUTH_ERROR = "system auth error"
NO_PRIV = "you have no priviliges"
BAD_DATA = "error data in fields"
BAD_MODE = "mode-param is not valid"
# Ours, for answers ZENLIX never gave.
TOO_MANY = "too many requests, try again later"
UNAVAILABLE = "temporarily unavailable, try again later"

JSON = "application/json"


@dataclass
class Refused(InvalidInput):
    """A request ZENLIX answers with an error in its envelope: ``description`` is the string.

    ``payload`` holds the mode's keys that ZENLIX sends even with an error (a transition's
    ``status_ticket``, the comments' ``ticket_code``), in the order it sends them."""

    description: str = NOT_ALL
    payload: dict[str, Any] | None = None


def answer(
    payload: dict[str, Any], *, status: str | None = "ok", error: str | None = None
) -> list[dict[str, Any]]:
    """The envelope: one object, the payload first, then ``status`` and ``error_description``."""
    return [{**payload, "status": status, "error_description": error}]


def json_response(body: object, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=JSON, headers=headers)


_MISSING = object()


class Fields:
    """The request's fields as PHP's ``isset`` saw them: present = set and not null.

    Strings are taken as they are, numbers and booleans as PHP would print them
    (``1``, ``1.5``, ``true`` → ``"1"``); an array or object is present but no value
    (``BAD_DATA`` when a mode reads it)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def present(self, *names: str) -> bool:
        return all(self._raw.get(n) is not None for n in names)

    def text(self, name: str) -> str:
        """The field as text; ``Refused(BAD_DATA)`` when it is an array or object."""
        value = self._raw.get(name, _MISSING)
        if value is _MISSING or value is None:
            return ""
        if isinstance(value, bool):
            return "1" if value else ""
        if isinstance(value, int | float | str):
            return value if isinstance(value, str) else _number(value)
        raise Refused("A field holds no value.", description=BAD_DATA)

    def number(self, name: str) -> int:
        """The field as an id (1 … 2⁶³-1); ``Refused(BAD_DATA)`` otherwise."""
        text = self.text(name).strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
            raise Refused(f"{name} is not an id.", description=BAD_DATA)
        return int(text)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return str(value)
