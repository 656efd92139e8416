"""Protobuf ``Timestamp`` ⇄ ``datetime``, the one place every service converts times.

Times cross gRPC and NATS as ``google.protobuf.Timestamp``; inside a service they
are timezone-aware ``datetime`` values in UTC. Going out, a naive ``datetime`` is
read as UTC (protobuf's own rule; PostgreSQL's ``timestamptz`` never gives one).
Coming in, the result is always aware (UTC), so it compares with ``datetime.now(UTC)``
and with what asyncpg returns. An unset ``Timestamp`` (all zero) is "no time":
optional fields travel as unset messages, not as 1970-01-01.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp

__all__ = ["from_timestamp", "is_set", "now_timestamp", "to_rfc3339", "to_timestamp"]

# The conversions are plain arithmetic from the epoch, the same results as protobuf's
# ``FromDatetime``/``ToDatetime`` at a fifth and a half of their cost: every event and
# answer carries several times, so they run a few times per request.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@overload
def to_timestamp(value: datetime) -> Timestamp: ...
@overload
def to_timestamp(value: None) -> None: ...
@overload
def to_timestamp(value: datetime | None) -> Timestamp | None: ...


def to_timestamp(value: datetime | None) -> Timestamp | None:
    """``value`` as a protobuf ``Timestamp`` (``None`` stays ``None``, i.e. the field is left unset)."""
    if value is None:
        return None
    since = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(seconds=since.days * 86400 + since.seconds, nanos=since.microseconds * 1000)


def now_timestamp() -> Timestamp:
    """The current time as a protobuf ``Timestamp``."""
    return to_timestamp(datetime.now(UTC))


def from_timestamp(stamp: Timestamp) -> datetime:
    """``stamp`` as an aware ``datetime`` in UTC."""
    return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def is_set(stamp: Timestamp) -> bool:
    """Whether ``stamp`` holds a time (an unset message field reads as all zero)."""
    return bool(stamp.seconds or stamp.nanos)


_NAIVE_EPOCH = datetime(1970, 1, 1)


def to_rfc3339(stamp: Timestamp) -> str | None:
    """``stamp`` as RFC 3339 text (``2024-05-01T09:30:00Z``), or ``None`` when unset.

    The text of protobuf's ``ToJsonString``, character for character (a fraction of 3, 6
    or 9 digits, as few as the nanoseconds need; none when they are zero), at a third of
    its cost: an answer writes a few per ticket. What it refuses (nanoseconds out of
    range) is still left to it.
    """
    seconds, nanos = stamp.seconds, stamp.nanos
    if not (seconds or nanos):
        return None
    if not 0 <= nanos < 1_000_000_000:
        return stamp.ToJsonString()
    text = (_NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat()
    if not nanos:
        return text + "Z"
    if not nanos % 1_000_000:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if not nanos % 1000:
        return f"{text}.{nanos // 1000:06d}Z"
    return f"{text}.{nanos:09d}Z"
