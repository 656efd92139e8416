"""REST for mail intake (administrators only): mailboxes ``/api/v1/mailboxes`` (CRUD and
``POST /{id}/test``) and the quarantine (``/api/v1/mail-quarantine``, retry). The password
is write-only; mailin checks the admin flag again. Mail intake is optional: without
``HELPDESK_MAILIN_ADDR``, or while mailin is away, these routes answer 503 and no other."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from helpdesk.mailin.v1 import mailin_pb2 as pb
from helpdesk.mailin.v1 import mailin_pb2_grpc as pb_grpc
from pydantic import Field

from helpdesk_gateway.api.models.mailin import (
    Mailbox,
    MailboxList,
    MailboxTest,
    MailOutcome,
    QuarantinedMail,
    QuarantineList,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import MAX_ID, Id, IdPath, line
from helpdesk_gateway.auth import AdminDep
from helpdesk_kit.errors import Unavailable

router = api_router(prefix="/api/v1")

# A connection test signs in to a server that may be slow (mailin's IMAP timeout is 30 s);
# a retry files a mail, its files included, through identity and tickets.
TEST_DEADLINE_SECONDS = 60.0
RETRY_DEADLINE_SECONDS = 120.0


def _stub(request: Request) -> pb_grpc.MailinAsyncStub:
    ch = clients(request).channels.get("mailin")
    if ch is None:
        raise Unavailable("Mail intake is not configured (HELPDESK_MAILIN_ADDR).")
    stub: pb_grpc.MailinAsyncStub = pb_grpc.MailinStub(ch)
    return stub


class MailboxIn(Strict):
    name: str = line(100, min_length=1)
    enabled: bool = True
    host: str = line(255, min_length=1)
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    allow_plain: bool = Field(
        default=False, description="needed for security none: the password travels in clear"
    )
    login: str = line(320, min_length=1)
    password: str | None = line(1000, default=None, description="write-only; omit to keep")
    folder: str = line(200, min_length=1, default="INBOX")
    processed_folder: str = line(200, default="", description='"" = keep, flagged \\Seen $Helpdesk')
    quarantine_folder: str = line(200, min_length=1, default="Quarantine")
    unit_id: Id
    assignee_ids: list[Id] = Field(default_factory=list, max_length=50)
    priority: Literal["low", "normal", "high"] = "normal"
    subject_id: Id | None = None
    unknown_senders: Literal["refuse", "create_client", "anonymous"] = "refuse"

    def to_pb(self) -> pb.MailboxInput:
        return pb.MailboxInput(
            name=self.name,
            enabled=self.enabled,
            host=self.host,
            port=self.port,
            security=self.security,
            allow_plain=self.allow_plain,
            login=self.login,
            password=self.password or "",
            set_password=self.password is not None,
            folder=self.folder,
            processed_folder=self.processed_folder,
            quarantine_folder=self.quarantine_folder,
            unit_id=self.unit_id,
            assignee_ids=self.assignee_ids,
            priority=self.priority,
            subject_id=self.subject_id or 0,
            unknown_senders=self.unknown_senders,
        )


@router.get("/mailboxes")
async def list_mailboxes(admin: AdminDep, request: Request) -> MailboxList:
    resp = await _stub(request).ListMailboxes(pb.ListMailboxesRequest())
    return MailboxList.of(items=[Mailbox.from_pb(m) for m in resp.mailboxes], next_cursor=None)


@router.post("/mailboxes", status_code=201)
async def create_mailbox(body: MailboxIn, admin: AdminDep, request: Request) -> Mailbox:
    resp = await _stub(request).CreateMailbox(pb.CreateMailboxRequest(mailbox=body.to_pb()))
    return Mailbox.from_pb(resp)


@router.get("/mailboxes/{mailbox_id}")
async def get_mailbox(mailbox_id: IdPath, admin: AdminDep, request: Request) -> Mailbox:
    return Mailbox.from_pb(await _stub(request).GetMailbox(pb.MailboxRequest(mailbox_id=mailbox_id)))


@router.put("/mailboxes/{mailbox_id}")
async def update_mailbox(mailbox_id: IdPath, body: MailboxIn, admin: AdminDep, request: Request) -> Mailbox:
    resp = await _stub(request).UpdateMailbox(
        pb.UpdateMailboxRequest(mailbox_id=mailbox_id, mailbox=body.to_pb())
    )
    return Mailbox.from_pb(resp)


@router.delete("/mailboxes/{mailbox_id}", status_code=204)
async def delete_mailbox(mailbox_id: IdPath, admin: AdminDep, request: Request) -> None:
    await _stub(request).DeleteMailbox(pb.MailboxRequest(mailbox_id=mailbox_id))


@router.post("/mailboxes/{mailbox_id}/test")
async def test_mailbox(mailbox_id: IdPath, admin: AdminDep, request: Request) -> MailboxTest:
    r = await _stub(request).TestMailbox(
        pb.MailboxRequest(mailbox_id=mailbox_id), timeout=TEST_DEADLINE_SECONDS
    )
    return MailboxTest.of(ok=r.ok, detail=r.detail, messages=r.messages, idle=r.idle)


@router.get("/mail-quarantine")
async def list_quarantine(
    admin: AdminDep,
    request: Request,
    mailbox_id: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(description="clamped into 1-200")] = 50,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> QuarantineList:
    limit = min(max(limit, 1), 200)
    resp = await _stub(request).ListQuarantine(
        pb.ListQuarantineRequest(mailbox_id=mailbox_id or 0, limit=limit, before_id=cursor or 0)
    )
    items = [QuarantinedMail.from_pb(m) for m in resp.messages]
    return QuarantineList.of(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.post("/mail-quarantine/{message_id}/retry")
async def retry_quarantined(message_id: IdPath, admin: AdminDep, request: Request) -> MailOutcome:
    r = await _stub(request).RetryQuarantined(
        pb.RetryQuarantinedRequest(message_id=message_id), timeout=RETRY_DEADLINE_SECONDS
    )
    return MailOutcome.of(
        kind=r.kind,
        ticket_id=r.ticket_id or None,
        comment_id=r.comment_id or None,
        reason=r.reason,
    )
