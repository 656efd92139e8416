"""The keys that make a mail filed once, however often it is processed.

A mail is (mailbox, UIDVALIDITY, UID, Message-ID): the UID alone is only unique while the
folder keeps its UIDVALIDITY, and the Message-ID tells a message put back under a new UID
from a new one. Every step mailin asks of tickets carries a key derived from it, so a
retry after a crash gets the first try's ticket, comment and files back (tickets scopes
keys to the acting user, the sender, who is the same on every try).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class MailKey:
    mailbox_id: int
    uidvalidity: int
    uid: int
    message_id: str

    def digest(self) -> str:
        raw = f"{self.mailbox_id}\x00{self.uidvalidity}\x00{self.uid}\x00{self.message_id}"
        return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]

    def for_ticket(self) -> str:
        return f"mailin:{self.digest()}"

    def for_comment(self, ticket_id: int) -> str:
        return f"mailin:{self.digest()}:comment:{ticket_id}"

    def for_file(self, ticket_id: int, index: int) -> str:
        return f"mailin:{self.digest()}:file:{ticket_id}:{index}"

    def for_note(self, ticket_id: int) -> str:
        """The comment listing the files a new ticket could not take."""
        return f"mailin:{self.digest()}:note:{ticket_id}"
