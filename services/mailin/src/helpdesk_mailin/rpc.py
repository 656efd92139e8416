"""gRPC ⇄ use cases for helpdesk.mailin.v1.Mailin (every method the administrators')."""

from __future__ import annotations

import ssl
from typing import Any, TypeAlias

import grpc
from helpdesk.mailin.v1 import mailin_pb2 as pb
from helpdesk.mailin.v1 import mailin_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_kit.trust import current_user
from helpdesk_mailin import usecases
from helpdesk_mailin.domain.mailbox import MailboxSettings
from helpdesk_mailin.store import MailboxRow, MessageRow

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def mailbox_to_pb(row: MailboxRow) -> pb.Mailbox:
    s = row.settings
    return pb.Mailbox(
        id=row.id,
        name=s.name,
        enabled=s.enabled,
        host=s.host,
        port=s.port,
        security=s.security,
        allow_plain=s.allow_plain,
        login=s.login,
        has_password=row.has_password,
        folder=s.folder,
        processed_folder=s.processed_folder,
        quarantine_folder=s.quarantine_folder,
        unit_id=s.unit_id,
        assignee_ids=list(s.assignee_ids),
        priority=s.priority,
        subject_id=s.subject_id,
        unknown_senders=s.unknown_senders,
        created_at=to_timestamp(row.created_at),
        stats=pb.MailboxStats(
            last_poll_at=to_timestamp(row.last_poll_at),
            last_error=row.last_error,
            last_error_at=to_timestamp(row.last_error_at),
            idle=row.idle,
            **row.counts,
        ),
    )


def settings_from_pb(m: pb.MailboxInput) -> MailboxSettings:
    return MailboxSettings(
        name=m.name,
        enabled=m.enabled,
        host=m.host,
        port=m.port,
        security=m.security,
        allow_plain=m.allow_plain,
        login=m.login,
        folder=m.folder,
        processed_folder=m.processed_folder,
        quarantine_folder=m.quarantine_folder,
        unit_id=m.unit_id,
        assignee_ids=tuple(m.assignee_ids),
        priority=m.priority,
        subject_id=m.subject_id,
        unknown_senders=m.unknown_senders,
    )


def quarantined_to_pb(r: MessageRow) -> pb.QuarantinedMessage:
    return pb.QuarantinedMessage(
        id=r.id,
        mailbox_id=r.mailbox_id,
        sender=r.sender,
        subject=r.subject,
        message_id=r.message_id,
        reason=r.reason,
        size=r.size,
        retryable=r.has_raw,
        received_at=to_timestamp(r.received_at),
        attempts=r.attempts,
    )


class MailinService(pb_grpc.MailinServicer):
    def __init__(
        self,
        *,
        db: Database,
        intake: usecases.Intake,
        imap_timeout: float,
        imap_tls: ssl.SSLContext | None = None,
    ) -> None:
        self._db = db
        self._intake = intake
        self._timeout = imap_timeout
        self._tls = imap_tls

    async def ListMailboxes(
        self, request: pb.ListMailboxesRequest, context: Context
    ) -> pb.ListMailboxesResponse:
        rows = await usecases.list_mailboxes(db=self._db, is_admin=current_user().is_admin)
        return pb.ListMailboxesResponse(mailboxes=[mailbox_to_pb(r) for r in rows])

    async def GetMailbox(self, request: pb.MailboxRequest, context: Context) -> pb.Mailbox:
        row = await usecases.get_mailbox(
            db=self._db, is_admin=current_user().is_admin, mailbox_id=request.mailbox_id
        )
        return mailbox_to_pb(row)

    async def CreateMailbox(self, request: pb.CreateMailboxRequest, context: Context) -> pb.Mailbox:
        row = await usecases.create_mailbox(
            db=self._db,
            is_admin=current_user().is_admin,
            settings=settings_from_pb(request.mailbox),
            password=request.mailbox.password,
        )
        return mailbox_to_pb(row)

    async def UpdateMailbox(self, request: pb.UpdateMailboxRequest, context: Context) -> pb.Mailbox:
        m = request.mailbox
        row = await usecases.update_mailbox(
            db=self._db,
            is_admin=current_user().is_admin,
            mailbox_id=request.mailbox_id,
            settings=settings_from_pb(m),
            password=m.password if m.set_password else None,
        )
        return mailbox_to_pb(row)

    async def DeleteMailbox(self, request: pb.MailboxRequest, context: Context) -> pb.DeleteMailboxResponse:
        await usecases.delete_mailbox(
            db=self._db, is_admin=current_user().is_admin, mailbox_id=request.mailbox_id
        )
        return pb.DeleteMailboxResponse()

    async def TestMailbox(self, request: pb.MailboxRequest, context: Context) -> pb.TestMailboxResponse:
        ok, detail, messages, idle = await usecases.test_mailbox(
            db=self._db,
            is_admin=current_user().is_admin,
            mailbox_id=request.mailbox_id,
            seconds=self._timeout,
            ssl_context=self._tls,
        )
        return pb.TestMailboxResponse(ok=ok, detail=detail, messages=messages, idle=idle)

    async def ListQuarantine(
        self, request: pb.ListQuarantineRequest, context: Context
    ) -> pb.ListQuarantineResponse:
        rows = await usecases.list_quarantine(
            db=self._db,
            is_admin=current_user().is_admin,
            mailbox_id=request.mailbox_id or None,
            limit=request.limit or 50,
            before_id=request.before_id or None,
        )
        return pb.ListQuarantineResponse(messages=[quarantined_to_pb(r) for r in rows])

    async def RetryQuarantined(self, request: pb.RetryQuarantinedRequest, context: Context) -> pb.Outcome:
        outcome = await usecases.retry_quarantined(
            db=self._db, intake=self._intake, is_admin=current_user().is_admin, message_id=request.message_id
        )
        return pb.Outcome(
            kind=outcome.kind,
            ticket_id=outcome.ticket_id or 0,
            comment_id=outcome.comment_id or 0,
            reason=outcome.reason,
        )
