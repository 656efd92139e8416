"""Notify's use cases: turn facts into pop-ups, queued mails and pushes; settings; mailings.

One module per concern: ``dispatch`` (the heart: a fact and its recipients become
pop-ups and queued deliveries in the consumer's transaction), ``preferences``,
``channel_settings``, ``dead_letters``, ``mailings``, ``popups``, ``retention`` (what
is pruned, after how long). Callers use this package's names.
"""

from __future__ import annotations

from helpdesk_notify.events import SERVICE
from helpdesk_notify.usecases.channel_settings import (
    MailSettings,
    PushbulletSettings,
    get_mail_settings,
    get_pushbullet_settings,
    load_mail_settings,
    load_pushbullet_settings,
    masked_mail,
    masked_pushbullet,
    put_mail_settings,
    put_pushbullet_settings,
)
from helpdesk_notify.usecases.dead_letters import REPLAY_LIMIT, dead_letters, replay_dead_letters
from helpdesk_notify.usecases.dispatch import Outcome, dispatch
from helpdesk_notify.usecases.mailings import create_mailing, get_mailing
from helpdesk_notify.usecases.popups import list_popups, mark_read
from helpdesk_notify.usecases.preferences import get_preferences, update_preferences
from helpdesk_notify.usecases.retention import retention_rules
from helpdesk_notify.wire import popup_to_pb

__all__ = [
    "REPLAY_LIMIT",
    "SERVICE",
    "MailSettings",
    "Outcome",
    "PushbulletSettings",
    "create_mailing",
    "dead_letters",
    "dispatch",
    "get_mail_settings",
    "get_mailing",
    "get_preferences",
    "get_pushbullet_settings",
    "list_popups",
    "load_mail_settings",
    "load_pushbullet_settings",
    "mark_read",
    "masked_mail",
    "masked_pushbullet",
    "popup_to_pb",
    "put_mail_settings",
    "put_pushbullet_settings",
    "replay_dead_letters",
    "retention_rules",
    "update_preferences",
]
