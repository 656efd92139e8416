"""Notify's vocabulary: events, channels, preferences and retry timing. No framework imports."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

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
EVENTS = (*TICKET_EVENTS, "portal.commented")
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
