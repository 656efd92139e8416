"""Mailin's use cases: ``intake`` (what one mail becomes), ``mailboxes`` (the
administrators' mailboxes and quarantine). What they need of the world is named in
``helpdesk_mailin.ports`` (the other services, an IMAP session). Callers use this
package's names."""

from __future__ import annotations

from helpdesk_mailin.ports import FileRefused, FolderState, MailboxSession, Peers, TicketDraft
from helpdesk_mailin.usecases.intake import Intake, Limits, Outcome
from helpdesk_mailin.usecases.mailboxes import (
    create_mailbox,
    delete_mailbox,
    get_mailbox,
    list_mailboxes,
    list_quarantine,
    retry_quarantined,
    test_mailbox,
    update_mailbox,
)

__all__ = [
    "FileRefused",
    "FolderState",
    "Intake",
    "Limits",
    "MailboxSession",
    "Outcome",
    "Peers",
    "TicketDraft",
    "create_mailbox",
    "delete_mailbox",
    "get_mailbox",
    "list_mailboxes",
    "list_quarantine",
    "retry_quarantined",
    "test_mailbox",
    "update_mailbox",
]
