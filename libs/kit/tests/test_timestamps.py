"""Protobuf Timestamp ⇄ datetime: aware UTC coming in, any zone (or naive = UTC) going out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from helpdesk_kit.timestamps import from_timestamp, is_set, now_timestamp, to_rfc3339, to_timestamp


def test_an_aware_time_survives_the_round_trip_to_the_microsecond() -> None:
    moment = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
    back = from_timestamp(to_timestamp(moment))
    assert back == moment
    assert back.tzinfo is UTC


def test_a_time_in_another_zone_comes_back_as_the_same_instant_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    back = from_timestamp(to_timestamp(datetime(2024, 5, 1, 12, 0, tzinfo=moscow)))
    assert back == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert back.utcoffset() == timedelta(0)


def test_a_naive_time_is_read_as_utc() -> None:
    assert from_timestamp(to_timestamp(datetime(2024, 5, 1, 9, 0))) == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def test_no_time_leaves_the_field_unset() -> None:
    assert to_timestamp(None) is None
    assert not is_set(Timestamp())
    assert to_rfc3339(Timestamp()) is None


def test_rfc3339_text_of_a_set_time() -> None:
    assert to_rfc3339(to_timestamp(datetime(2024, 5, 1, 9, 30, tzinfo=UTC))) == "2024-05-01T09:30:00Z"


def test_now_is_now() -> None:
    before = datetime.now(UTC)
    stamp = from_timestamp(now_timestamp())
    assert before <= stamp <= datetime.now(UTC)


@pytest.mark.parametrize("seconds", [1, -1, 86399, -86401, 1_714_555_800, -62_135_596_800, 253_402_300_799])
@pytest.mark.parametrize("nanos", [0, 1, 500, 1000, 123_000_000, 123_456_000, 999_999_999])
def test_rfc3339_text_is_protobufs_own(seconds: int, nanos: int) -> None:
    stamp = Timestamp(seconds=seconds, nanos=nanos)
    assert to_rfc3339(stamp) == stamp.ToJsonString()
