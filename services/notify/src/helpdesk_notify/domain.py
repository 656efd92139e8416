"""Notify's vocabulary: events, channels, preferences, retry timing and the channel circuit.

No framework imports."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

POPUP, EMAIL, PUSHBULLET = "popup", "email", "pushbullet"
CHANNELS = (POPUP, EMAIL, PUSHBULLET)
#: Channels with their own durable queue (pop-ups are stored at once, in the consumer's transaction).
QUEUED_CHANNELS = (EMAIL, PUSHBULLET)

TICKET_EVENTS = (
    "ticket.created",
    "ticket.forwarded",
    "ticket.taken",
    "ticket.released",
    "ticket.completed",
    "ticket.reopened",
    "ticket.commented",
    "sla.warning",
    "sla.breached",
)
#: Sent whatever the preferences say (they answer something the user asked for, or an admin's mailing).
MANDATORY_EVENTS = ("account.registered", "account.password_reset", "mailing")
PORTAL_EVENTS = ("portal.posted", "portal.commented", "portal.status_changed", "portal.answered")
EVENTS = (*TICKET_EVENTS, *PORTAL_EVENTS)
DEFAULT_CHANNELS = (POPUP, EMAIL)
LANGUAGES = ("en", "ru")
MAIL_SECURITY = ("none", "starttls", "tls")
MASK = "********"


@dataclass(frozen=True)
class Preferences:
    """Which events a user wants on which channels; unset events use the defaults."""

    user_id: int
    events: dict[str, tuple[str, ...]] = field(default_factory=dict)
    language: str = ""
    pushbullet: str = ""

    def channels_for(self, event: str) -> tuple[str, ...]:
        if event in MANDATORY_EVENTS:
            return (EMAIL,)
        return self.events.get(event, DEFAULT_CHANNELS)

    def effective(self) -> dict[str, tuple[str, ...]]:
        return {e: self.channels_for(e) for e in EVENTS}


def language_of(preferred: str, directory_language: str) -> str:
    """The preference, else identity's language, else English (templates exist in LANGUAGES)."""
    for lang in (preferred, directory_language):
        short = (lang or "").split("-")[0].split("_")[0].lower()
        if short in LANGUAGES:
            return short
    return "en"


def retry_delay(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ``base·2^(attempts-1)``, capped, then scaled by 0.5 to 1."""
    r = rng or random.Random()
    ceiling: float = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return ceiling * (0.5 + r.random() / 2)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a delivery that failed for a passing reason is tried again.

    Counted in time since its first attempt, not in attempts: a server down for an
    hour costs an hour, however often it was tried meanwhile.
    """

    horizon_seconds: float = 24 * 3600.0
    base_seconds: float = 5.0
    cap_seconds: float = 3600.0


def next_try(
    policy: RetryPolicy,
    *,
    attempts: int,
    first_attempt_at: datetime | None,
    now: datetime,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next try of a delivery that just failed its ``attempts``-th try,
    or None: its horizon is over, give up. The last try falls on the horizon itself."""
    first = first_attempt_at or now
    left = (first - now).total_seconds() + policy.horizon_seconds
    if left <= 0:
        return None
    return min(retry_delay(attempts, base=policy.base_seconds, cap=policy.cap_seconds, rng=rng), left)


class Circuit:
    """A channel's circuit breaker: after the channel failed as a whole (its server is down,
    refuses to work, or rate-limits us), nothing of it is tried until the pause is over.

    Pauses grow with each failure in a row (``base·2^(n-1)``, capped, with jitter); the
    first success closes the circuit. ``clock`` is a monotonic clock in seconds.
    """

    def __init__(
        self, *, base: float, cap: float, clock: Callable[[], float], rng: random.Random | None = None
    ) -> None:
        self._base = base
        self._cap = cap
        self._clock = clock
        self._rng = rng
        self.failures = 0
        self._until = 0.0

    def remaining(self) -> float:
        """Seconds left of the pause (0: the channel may be tried)."""
        return max(self._until - self._clock(), 0.0)

    @property
    def is_open(self) -> bool:
        return self.failures > 0

    def trip(self, at_least: float = 0.0) -> float:
        """The channel failed: pause it (at least ``at_least`` s, e.g. a Retry-After). Returns the pause."""
        self.failures += 1
        pause = max(retry_delay(self.failures, base=self._base, cap=self._cap, rng=self._rng), at_least)
        self._until = self._clock() + pause
        return pause

    def close(self) -> None:
        """The channel worked."""
        self.failures = 0
        self._until = 0.0


def validate_event_channels(events: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Field errors ``(field, message)`` for an update of a user's event → channels."""
    errors: list[tuple[str, str]] = []
    for event, channels in events.items():
        if event not in EVENTS:
            errors.append((f"events.{event}", f"unknown event; one of {', '.join(EVENTS)}"))
            continue
        bad = [c for c in channels if c not in CHANNELS]
        if bad:
            errors.append((f"events.{event}", f"unknown channel {bad[0]!r}; one of {', '.join(CHANNELS)}"))
    return errors


# ---- values that must be sendable -------------------------------------------------


def has_control(value: str) -> bool:
    """Whether ``value`` holds a control character (CR, LF, tab...) or a line/paragraph
    separator: none of them may go into a mail header."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an address we can send to (ASCII, no display name), or None."""
    try:
        validate_email(
            value,
            check_deliverability=False,  # no DNS at input; the SMTP server has the last word
            allow_smtputf8=False,  # not every relay speaks SMTPUTF8
            globally_deliverable=False,  # intranet names without a dot are fine
            test_environment=True,  # so are *.test names
        )
    except EmailNotValidError as exc:
        return str(exc)
    return None


_DEVICE_IDEN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def pushbullet_address_problem(value: str) -> str | None:
    """A Pushbullet address is an e-mail address or a device iden (letters and digits)."""
    if "@" in value:
        problem = email_problem(value)
        return None if problem is None else f"not an e-mail address: {problem}"
    if not _DEVICE_IDEN.match(value):
        return "an e-mail address or a device iden (ASCII letters, digits, - or _)"
    return None


def token_problem(token: str) -> str | None:
    """Why an access token cannot go into an HTTP header, or None."""
    if not token.isascii() or not token.isprintable() or any(ch.isspace() for ch in token):
        return "printable ASCII without spaces"
    return None
