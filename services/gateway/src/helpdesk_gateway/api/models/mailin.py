"""Mail intake's resources: mailboxes with what their poller saw, the quarantine, a retry's outcome."""

from __future__ import annotations

from typing import Literal

from helpdesk.mailin.v1 import mailin_pb2 as m_pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts


class MailboxStats(Out):
    """What the poller saw: the last poll, the last error, and how many mails became what."""

    last_poll_at: Timestamp | None
    last_error: str | None
    last_error_at: Timestamp | None
    idle: bool = Field(description="the server announces IMAP IDLE (push instead of polling)")
    ingested: int = Field(description="new tickets")
    replies: int = Field(description="comments on existing tickets")
    dropped: int = Field(description="auto-replies, bounces, loops, over the sender's rate")
    quarantined: int
    refused: int = Field(description="unknown or disabled senders, refused with an automatic reply")

    @classmethod
    def from_pb(cls, s: m_pb.MailboxStats) -> MailboxStats:
        return cls.of(
            last_poll_at=ts(s.last_poll_at),
            last_error=s.last_error or None,
            last_error_at=ts(s.last_error_at),
            idle=s.idle,
            ingested=s.ingested,
            replies=s.replies,
            dropped=s.dropped,
            quarantined=s.quarantined,
            refused=s.refused,
        )


class Mailbox(Out):
    """An IMAP mailbox read by mail intake; ``password`` reads back masked."""

    id: int
    name: str
    enabled: bool
    host: str
    port: int
    security: Literal["tls", "starttls", "none"]
    allow_plain: bool
    login: str
    password: str = Field(description='"********" when one is stored, else ""')
    folder: str
    processed_folder: str
    quarantine_folder: str
    unit_id: int
    assignee_ids: list[int]
    priority: Literal["low", "normal", "high"]
    subject_id: int | None
    unknown_senders: Literal["refuse", "create_client", "anonymous"]
    stats: MailboxStats
    created_at: Timestamp | None

    @classmethod
    def from_pb(cls, m: m_pb.Mailbox) -> Mailbox:
        return cls.of(
            id=m.id,
            name=m.name,
            enabled=m.enabled,
            host=m.host,
            port=m.port,
            security=m.security,
            allow_plain=m.allow_plain,
            login=m.login,
            password="********" if m.has_password else "",
            folder=m.folder,
            processed_folder=m.processed_folder,
            quarantine_folder=m.quarantine_folder,
            unit_id=m.unit_id,
            assignee_ids=list(m.assignee_ids),
            priority=m.priority,
            subject_id=m.subject_id or None,
            unknown_senders=m.unknown_senders,
            stats=MailboxStats.from_pb(m.stats),
            created_at=ts(m.created_at),
        )


class MailboxList(Page):
    items: list[Mailbox]


class MailboxTest(Out):
    """A connection test: signed in and opened the folder (``ok``), or why not (``detail``)."""

    ok: bool
    detail: str
    messages: int
    idle: bool


class QuarantinedMail(Out):
    """A mail that could not be filed; ``retryable`` is false when it was too large to keep."""

    id: int
    mailbox_id: int
    sender: str
    subject: str
    message_id: str
    reason: str
    size: int
    retryable: bool
    received_at: Timestamp | None
    attempts: int

    @classmethod
    def from_pb(cls, m: m_pb.QuarantinedMessage) -> QuarantinedMail:
        return cls.of(
            id=m.id,
            mailbox_id=m.mailbox_id,
            sender=m.sender,
            subject=m.subject,
            message_id=m.message_id,
            reason=m.reason,
            size=m.size,
            retryable=m.retryable,
            received_at=ts(m.received_at),
            attempts=m.attempts,
        )


class QuarantineList(Page):
    items: list[QuarantinedMail]


class MailOutcome(Out):
    """What a retried mail became."""

    kind: Literal["ticket", "comment", "dropped", "refused", "quarantined"]
    ticket_id: int | None
    comment_id: int | None
    reason: str
