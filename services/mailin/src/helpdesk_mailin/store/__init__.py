"""The mailin schema's queries: the only package of the service with SQL.

``mailbox_table``: mailboxes (settings, the sealed password, the poller's lease, where
reading stopped, counters); ``message_table``: every message seen and its outcome.
"""

from __future__ import annotations

from helpdesk_mailin.store import mailbox_table as mailboxes
from helpdesk_mailin.store import message_table as messages
from helpdesk_mailin.store.mailbox_table import COUNTERS, MailboxRow
from helpdesk_mailin.store.message_table import MessageRow

__all__ = ["COUNTERS", "MailboxRow", "MessageRow", "mailboxes", "messages"]
