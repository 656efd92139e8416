"""Page cursors: opaque URL-safe text to the caller; a (sort value, id) pair, a history
entry id or a change-feed position (transaction id, ticket id) to us. Bad text is the
caller's mistake (400 on the ``cursor`` field)."""

from __future__ import annotations

import base64
from datetime import datetime

import orjson

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> bytes:
    """The cursor's bytes (raises ValueError, as binascii.Error is one, on bad text)."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _bad(what: str) -> InvalidTicket:
    return InvalidTicket("Bad cursor.", errors=[FieldError("cursor", f"not a cursor of this {what}")])


def encode_history_cursor(entry_id: int) -> str:
    return _encode(f"h{entry_id}".encode())


def decode_history_cursor(cursor: str) -> int:
    try:
        raw = _decode(cursor).decode()
        if not raw.startswith("h") or not raw[1:].isascii() or not raw[1:].isdigit() or len(raw) > 19:
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError as exc:
        raise _bad("history") from exc


def encode_cursor(sort_value: object, ticket_id: int) -> str:
    value = sort_value.isoformat() if isinstance(sort_value, datetime) else sort_value
    return _encode(orjson.dumps([value, ticket_id]))


def decode_cursor(cursor: str) -> tuple[object, int]:
    try:
        value, ticket_id = orjson.loads(_decode(cursor))
        if not isinstance(ticket_id, int) or not 0 <= ticket_id < 2**63:
            raise ValueError
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise _bad("list") from exc
    return value, ticket_id


def encode_change_cursor(changed_in: int, ticket_id: int) -> str:
    """A position in the change feed: the transaction id and ticket id it ended at."""
    return _encode(orjson.dumps(["c", changed_in, ticket_id]))


def is_change_cursor(cursor: str) -> bool:
    try:
        return _decode(cursor)[:4] == b'["c"'
    except ValueError:
        return False


def decode_change_cursor(cursor: str) -> tuple[int, int]:
    try:
        kind, changed_in, ticket_id = orjson.loads(_decode(cursor))
        if kind != "c" or not all(isinstance(v, int) and 0 <= v < 2**63 for v in (changed_in, ticket_id)):
            raise ValueError
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise _bad("change feed") from exc
    return changed_in, ticket_id
