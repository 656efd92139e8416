"""Business calendars and working-time arithmetic. No framework imports.

An instant is *working time* when its wall-clock time in the calendar's zone
falls inside one of the working intervals of its local weekday and its local
date is not a holiday. Working time is computed exactly, DST included: the
UTC line is cut into pieces of constant UTC offset; inside a piece local time
is UTC plus a constant, so the local working intervals map back to UTC
intervals by one subtraction. (On a fall-back night the repeated hour is
worked twice if it lies inside working hours; on a spring-forward night the
skipped hour does not exist and is not counted.)

``WALL_CLOCK`` (no calendar) counts every second.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk_sla.errors import invalid

DAY = 86_400
_PROBE = timedelta(hours=6)
# "add N working seconds" gives up past this horizon (a calendar without hours never gets there).
_MAX_SEARCH = timedelta(days=366 * 20)


@dataclass(frozen=True)
class Interval:
    """Working time of one weekday: ``[start, end)`` in seconds since local midnight (end ≤ 86400)."""

    weekday: int  # 0 = Monday
    start: int
    end: int


@dataclass(frozen=True)
class Holiday:
    """Local dates ``first`` through ``last`` (inclusive) are not worked."""

    first: date
    last: date


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "UTC"
    intervals: tuple[Interval, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    wall_clock: bool = False
    _by_day: dict[int, list[tuple[int, int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.wall_clock:
            return
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise invalid("time_zone", f"unknown time zone {self.time_zone!r}") from exc
        for iv in self.intervals:
            if not (0 <= iv.weekday <= 6 and 0 <= iv.start < iv.end <= DAY):
                raise invalid("hours", f"bad working interval {iv}")
        for h in self.holidays:
            if h.last < h.first:
                raise invalid("holidays", f"holiday ends before it starts: {h.first}..{h.last}")
        for iv in sorted(self.intervals, key=lambda i: (i.weekday, i.start)):
            day = self._by_day.setdefault(iv.weekday, [])
            if day and day[-1][1] > iv.start:
                raise invalid("hours", "working intervals of a day overlap")
            day.append((iv.start, iv.end))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, d: date) -> bool:
        return any(h.first <= d <= h.last for h in self.holidays)

    # -- the UTC working intervals -------------------------------------------------

    def working_intervals(self, a: datetime, b: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working parts of ``[a, b)`` as ordered, disjoint UTC intervals."""
        if b <= a:
            return
        if self.wall_clock:
            yield a, b
            return
        zone = self.zone
        cursor = a.astimezone(UTC)
        end = b.astimezone(UTC)
        while cursor < end:
            offset = _offset(zone, cursor)
            piece_end = min(_next_transition(zone, cursor, offset), end)
            yield from self._piece(cursor, piece_end, offset)
            cursor = piece_end

    def _piece(self, a: datetime, b: datetime, offset: timedelta) -> Iterator[tuple[datetime, datetime]]:
        """``[a, b)`` has one UTC offset: local = utc + offset, a straight line."""
        local_a = a.replace(tzinfo=None) + offset
        local_b = b.replace(tzinfo=None) + offset
        day = local_a.date()
        while datetime.combine(day, datetime.min.time()) < local_b:
            if not self.is_holiday(day):
                midnight = datetime.combine(day, datetime.min.time())
                for start, stop in self._by_day.get(day.weekday(), ()):
                    s = max(midnight + timedelta(seconds=start), local_a)
                    e = min(midnight + timedelta(seconds=stop), local_b)
                    if s < e:
                        yield (s - offset).replace(tzinfo=UTC), (e - offset).replace(tzinfo=UTC)
            day += timedelta(days=1)

    # -- arithmetic ----------------------------------------------------------------

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
        total = timedelta()
        for s, e in self.working_intervals(a, b):
            total += e - s
        return total

    def add(self, t: datetime, amount: timedelta) -> datetime:
        """The earliest instant at which ``amount`` of working time has passed since ``t``."""
        if amount <= timedelta():
            return t
        if self.wall_clock:
            return t + amount
        left = amount
        window = timedelta(days=7)
        cursor = t
        while cursor - t < _MAX_SEARCH:
            for s, e in self.working_intervals(cursor, cursor + window):
                if e - s >= left:
                    return s + left
                left -= e - s
            cursor += window
            window = min(window * 2, timedelta(days=366))
        raise invalid("hours", "the calendar has no working time to count a limit in")


WALL_CLOCK = Calendar(wall_clock=True)


def _offset(zone: ZoneInfo, t: datetime) -> timedelta:
    off = t.astimezone(zone).utcoffset()
    return off if off is not None else timedelta()


def _next_transition(zone: ZoneInfo, t: datetime, offset: timedelta) -> datetime:
    """The first instant after ``t`` whose UTC offset differs from ``offset`` (probing 6-hour steps
    forward, then bisecting whole seconds: transitions fall on whole seconds); at most a week
    ahead, then the caller goes on from there."""
    probe = t
    for _ in range(28):
        nxt = probe + _PROBE
        if _offset(zone, nxt) != offset:
            lo = math.floor(probe.timestamp())  # offset == offset here (or before t)
            hi = math.ceil(nxt.timestamp())
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == offset:
                    lo = mid
                else:
                    hi = mid
            found = datetime.fromtimestamp(hi, UTC)
            return found if found > t else nxt
        probe = nxt
    return probe
