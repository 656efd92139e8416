"""When a recurring ticket files itself: the schedule and its next run.

No framework imports: like ``domain``, this is the product's rules, testable alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket

__all__ = ["Schedule"]


@dataclass(frozen=True)
class Schedule:
    """When a recurring ticket is filed (docs/product/tickets.md § Recurring tickets): daily
    every N days, weekly on chosen days (0 = Monday), monthly on chosen dates, at a local
    time, between two dates."""

    kind: str  # daily | weekly | monthly
    at: time
    start: date
    end: date | None = None
    every_days: int = 1
    weekdays: frozenset[int] = frozenset()
    month_days: frozenset[int] = frozenset()
    time_zone: str = "UTC"

    def checked(self) -> Schedule:
        errors: list[FieldError] = []
        if self.kind not in ("daily", "weekly", "monthly"):
            errors.append(FieldError("kind", "daily, weekly or monthly"))
        if self.kind == "daily" and not 1 <= self.every_days <= 366:
            errors.append(FieldError("every_days", "1 to 366"))
        if self.kind == "weekly" and (not self.weekdays or not self.weekdays <= set(range(7))):
            errors.append(FieldError("weekdays", "one or more of 0 (Monday) to 6 (Sunday)"))
        if self.kind == "monthly" and (not self.month_days or not self.month_days <= set(range(1, 32))):
            errors.append(FieldError("month_days", "one or more of 1 to 31"))
        if self.end is not None and self.end < self.start:
            errors.append(FieldError("end", "not before the start"))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(FieldError("time_zone", "an IANA time zone"))
        if errors:
            raise InvalidTicket("The schedule is not valid.", errors=errors)
        return self

    def _on(self, day: date) -> bool:
        if day < self.start or (self.end is not None and day > self.end):
            return False
        if self.kind == "daily":
            return (day - self.start).days % self.every_days == 0
        if self.kind == "weekly":
            return day.weekday() in self.weekdays
        return day.day in self.month_days

    def next_after(self, moment: datetime) -> datetime | None:
        """The first run strictly after ``moment``, or None when the schedule has ended."""
        tz = ZoneInfo(self.time_zone)
        day = max(moment.astimezone(tz).date(), self.start)
        for _ in range(800):  # two years and more: every schedule repeats within that
            if self.end is not None and day > self.end:
                return None
            if self._on(day):
                run = datetime.combine(day, self.at, tzinfo=tz)
                if run > moment:
                    return run
            day += timedelta(days=1)
        return None
