"""Errors of the mailin service.

AppError (kit)
├── InvalidInput ─ InvalidMailbox       mailbox settings that break the rules
├── Forbidden ──── AdminOnly            mailboxes and the quarantine are the administrators'
├── NotFound ───── MailboxNotFound      no such mailbox
│               └─ MessageNotFound      no such quarantined message (or its bytes were not kept)
└── Unavailable ── ImapUnavailable      the IMAP server could not be reached or refused us
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import Forbidden, InvalidInput, NotFound, Unavailable

__all__ = ["AdminOnly", "ImapUnavailable", "InvalidMailbox", "MailboxNotFound", "MessageNotFound"]


@dataclass
class InvalidMailbox(InvalidInput):
    pass


@dataclass
class AdminOnly(Forbidden):
    detail: str = "Only an administrator may do this."


@dataclass
class MailboxNotFound(NotFound):
    detail: str = "No such mailbox."


@dataclass
class MessageNotFound(NotFound):
    detail: str = "No such quarantined message, or it was too large to keep."


@dataclass
class ImapUnavailable(Unavailable):
    pass
