"""What the use cases need of the world outside mailin's schema, as interfaces: the other
services (identity, tickets, notify: ``Peers``, implemented over gRPC in ``peers``) and
an IMAP mailbox (``MailboxSession``, implemented with imapclient in ``imap``). Tests give
fakes of these, never of mailin's own code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from helpdesk_mailin.domain.mailbox import Account


@dataclass(frozen=True)
class TicketDraft:
    subject: str
    body: str
    priority: str
    unit_id: int
    assignee_ids: tuple[int, ...]
    subject_id: int


class FileRefused(Exception):
    """Tickets would not take a file (its size or type); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Peers(Protocol):
    async def accounts(self, email: str) -> list[Account]: ...

    async def create_client(self, email: str, full_name: str) -> Account: ...

    async def passport(self, user_id: int) -> str: ...

    async def may_see(self, passport: str, ticket_id: int) -> bool: ...

    async def create_ticket(self, passport: str, draft: TicketDraft, key: str) -> int: ...

    async def add_comment(
        self, passport: str, ticket_id: int, body: str, attachment_ids: list[int], key: str
    ) -> int: ...

    async def upload(
        self,
        passport: str,
        ticket_id: int,
        filename: str,
        data: bytes,
        key: str,
        *,
        for_comment: bool = False,
    ) -> int:
        """``for_comment``: the file goes on the comment about to be added (tickets records it
        with the comment, and shows it to clients only once it is on one)."""
        ...

    async def refuse(
        self, *, key: str, to_address: str, to_name: str, in_reply_to: str, subject: str, reason: str
    ) -> None: ...


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    messages: int
    idle: bool  # the server announces IDLE


class MailboxSession(Protocol):
    """One signed-in IMAP connection; every call has a timeout and raises ``ImapUnavailable``."""

    async def open(self, folder: str) -> FolderState: ...

    async def new_uids(self, after_uid: int) -> list[int]: ...

    async def fetch(self, uid: int) -> bytes | None: ...

    async def mark_processed(self, uid: int, move_to: str) -> None: ...

    async def quarantine(self, uid: int, folder: str) -> None: ...

    async def wait(self, seconds: float) -> None: ...

    async def close(self) -> None: ...
