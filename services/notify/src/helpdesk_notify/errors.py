"""Errors of the notify service.

AppError (kit)
├── InvalidInput ─ InvalidSettings        preferences, mail or Pushbullet settings that break the rules
│               ├─ InvalidMailing         a mailing without subject, body or recipients
│               ├─ InvalidReplay          a replay that names no dead letters
│               └─ InvalidWebhook         a webhook's URL, events, units or range that break the rules
├── Forbidden ──── AdminOnly              settings, dead letters and mailings are the administrators'
└── NotFound ───── MailingNotFound        no such mailing
                   NotificationNotFound   no such pop-up for this user
                   WebhookNotFound        no such webhook (or delivery of it)
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import Forbidden, InvalidInput, NotFound

__all__ = [
    "AdminOnly",
    "InvalidMailing",
    "InvalidReplay",
    "InvalidSettings",
    "InvalidWebhook",
    "MailingNotFound",
    "NotificationNotFound",
    "WebhookNotFound",
]


@dataclass
class InvalidSettings(InvalidInput):
    pass


@dataclass
class InvalidMailing(InvalidInput):
    pass


@dataclass
class InvalidReplay(InvalidInput):
    pass


@dataclass
class InvalidWebhook(InvalidInput):
    pass


@dataclass
class AdminOnly(Forbidden):
    detail: str = "Only an administrator may do this."


@dataclass
class MailingNotFound(NotFound):
    detail: str = "No such mailing."


@dataclass
class NotificationNotFound(NotFound):
    detail: str = "No such notification."


@dataclass
class WebhookNotFound(NotFound):
    detail: str = "No such webhook."
