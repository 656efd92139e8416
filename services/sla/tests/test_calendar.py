"""Working-time arithmetic against a brute-force oracle that walks minute by minute."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_sla.calendar import WALL_CLOCK, Calendar, Holiday, Interval
from helpdesk_sla.errors import InvalidInput

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
# Around DST changes (spring and autumn, both hemispheres) and ordinary days.
ANCHORS = [
    datetime(2026, 3, 28, tzinfo=UTC),
    datetime(2026, 3, 7, tzinfo=UTC),
    datetime(2026, 10, 24, tzinfo=UTC),
    datetime(2026, 10, 31, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 6, 10, tzinfo=UTC),
    datetime(2018, 11, 2, tzinfo=UTC),
]


def is_working(cal: Calendar, t: datetime) -> bool:
    local = t.astimezone(ZoneInfo(cal.time_zone))
    if cal.is_holiday(local.date()):
        return False
    sec = local.hour * 3600 + local.minute * 60 + local.second
    return any(iv.weekday == local.weekday() and iv.start <= sec < iv.end for iv in cal.intervals)


def oracle_between(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    minutes = 0
    t = a
    while t < b:
        minutes += is_working(cal, t)
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


def oracle_add(cal: Calendar, t: datetime, minutes: int) -> datetime:
    while minutes > 0:
        if is_working(cal, t):
            minutes -= 1
        t += timedelta(minutes=1)
    return t


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    zone = draw(st.sampled_from(ZONES))
    intervals = []
    for weekday in range(7):
        # up to three intervals a day, on a 30-minute grid (some days off)
        cuts = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            intervals.append(Interval(weekday, start * 1800, end * 1800))
    if not intervals:
        intervals.append(Interval(draw(st.integers(0, 6)), 9 * 3600, 17 * 3600))
    holidays = []
    for _ in range(draw(st.integers(0, 2))):
        first = date(2026, 3, 1) + timedelta(days=draw(st.integers(0, 250)))
        holidays.append(Holiday(first, first + timedelta(days=draw(st.integers(0, 3)))))
    holidays.append(Holiday(date(2026, 12, 25), date(2026, 12, 26)))
    return Calendar(zone, tuple(intervals), tuple(holidays))


instants = st.builds(
    lambda anchor, minutes: anchor + timedelta(minutes=minutes),
    st.sampled_from(ANCHORS),
    st.integers(0, 4 * 24 * 60),
)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), a=instants, length=st.integers(0, 3 * 24 * 60))
def test_working_time_between_two_instants_matches_walking_minute_by_minute(
    cal: Calendar, a: datetime, length: int
) -> None:
    b = a + timedelta(minutes=length)
    assert cal.between(a, b) == oracle_between(cal, a, b)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), t=instants, minutes=st.integers(0, 2000))
def test_adding_working_time_lands_where_walking_minute_by_minute_does(
    cal: Calendar, t: datetime, minutes: int
) -> None:
    due = cal.add(t, timedelta(minutes=minutes))
    expected = oracle_add(cal, t, minutes)
    # the oracle stops at the end of the last working minute; add() at the same instant,
    # unless no working time was needed at all
    assert due == expected if minutes else due == t
    assert cal.between(t, due) == timedelta(minutes=minutes)


BERLIN_OFFICE = Calendar(
    "Europe/Berlin",
    tuple(Interval(d, s, e) for d in range(5) for s, e in ((9 * 3600, 13 * 3600), (14 * 3600, 18 * 3600))),
    (Holiday(date(2026, 12, 24), date(2026, 12, 26)), Holiday(date(2027, 1, 1), date(2027, 1, 1))),
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))  # type: ignore[misc]


def test_business_calendar_skips_the_night_lunch_and_weekend() -> None:
    friday_5pm = berlin(2026, 11, 27, 17)
    # one working hour left on Friday, then Monday 9-13 and 14-...
    assert BERLIN_OFFICE.add(friday_5pm, timedelta(hours=6)) == berlin(2026, 11, 30, 15)
    assert BERLIN_OFFICE.between(friday_5pm, berlin(2026, 11, 30, 15)) == timedelta(hours=6)


def test_business_calendar_skips_holiday_ranges_and_single_dates() -> None:
    wednesday_dec_23_5pm = berlin(2026, 12, 23, 17)
    # 24th-26th are holidays, 27th a Sunday: the next working hour is Monday the 28th
    assert BERLIN_OFFICE.add(wednesday_dec_23_5pm, timedelta(hours=2)) == berlin(2026, 12, 28, 10)
    assert BERLIN_OFFICE.between(berlin(2026, 12, 31, 18), berlin(2027, 1, 4, 9)) == timedelta()


def test_a_day_with_dst_change_counts_its_real_length() -> None:
    every_hour = Calendar("Europe/Berlin", tuple(Interval(d, 0, 86400) for d in range(7)))
    # 29 March 2026: clocks jump 02:00 -> 03:00, the day has 23 hours
    assert every_hour.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == timedelta(hours=23)
    # 25 October 2026: 03:00 -> 02:00, the day has 25 hours
    assert every_hour.between(berlin(2026, 10, 25), berlin(2026, 10, 26)) == timedelta(hours=25)


def test_office_hours_on_a_dst_change_day_are_still_eight_hours() -> None:
    sunday_office = Calendar("Europe/Berlin", (Interval(6, 9 * 3600, 17 * 3600),))
    assert sunday_office.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == timedelta(hours=8)
    assert sunday_office.add(berlin(2026, 3, 29, 0), timedelta(hours=8)) == berlin(2026, 3, 29, 17)


def test_wall_clock_counts_every_second() -> None:
    a = datetime(2026, 3, 29, tzinfo=UTC)
    assert WALL_CLOCK.between(a, a + timedelta(seconds=5)) == timedelta(seconds=5)
    assert WALL_CLOCK.add(a, timedelta(seconds=3)) == a + timedelta(seconds=3)


def test_a_calendar_with_an_unknown_zone_or_overlapping_hours_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Calendar("Mars/Olympus")
    with pytest.raises(InvalidInput):
        Calendar("UTC", (Interval(0, 0, 3600), Interval(0, 1800, 7200)))
