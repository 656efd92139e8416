"""REST for mail intake (administrators only): mailboxes ``/api/v1/mailboxes`` (CRUD and
``POST /{id}/test``) and the quarantine (``/api/v1/mail-quarantine``, retry). The password
is write-only; mailin checks the admin flag again."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from helpdesk.mailin.v1 import mailin_pb2 as pb
from helpdesk.mailin.v1 import mailin_pb2_grpc as pb_grpc
from pydantic import BaseModel, Field

from helpdesk_gateway.api.shapes import Strict, clients, ts
from helpdesk_gateway.auth import AdminDep
from helpdesk_kit.errors import Unavailable

router = APIRouter(prefix="/api/v1")


def _stub(request: Request) -> pb_grpc.MailinAsyncStub:
    ch = clients(request).channels.get("mailin")
    if ch is None:
        raise Unavailable("Mail intake is not configured (HELPDESK_MAILIN_ADDR).")
    stub: pb_grpc.MailinAsyncStub = pb_grpc.MailinStub(ch)
    return stub


class MailboxIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    allow_plain: bool = Field(
        default=False, description="needed for security none: the password travels in clear"
    )
    login: str = Field(min_length=1, max_length=320)
    password: str | None = Field(default=None, max_length=1000, description="write-only; omit to keep")
    folder: str = Field(default="INBOX", min_length=1, max_length=200)
    processed_folder: str = Field(
        default="", max_length=200, description='"" = keep, flagged \\Seen $Helpdesk'
    )
    quarantine_folder: str = Field(default="Quarantine", min_length=1, max_length=200)
    unit_id: int = Field(ge=1, le=2**63 - 1)
    assignee_ids: list[int] = Field(default_factory=list, max_length=50)
    priority: Literal["low", "normal", "high"] = "normal"
    subject_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
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


class MailboxStatsOut(BaseModel):
    last_poll_at: str | None
    last_error: str | None
    last_error_at: str | None
    idle: bool
    ingested: int
    replies: int
    dropped: int
    quarantined: int
    refused: int


class MailboxOut(BaseModel):
    id: int
    name: str
    enabled: bool
    host: str
    port: int
    security: str
    allow_plain: bool
    login: str
    password: str = Field(description='"********" when one is stored, else ""')
    folder: str
    processed_folder: str
    quarantine_folder: str
    unit_id: int
    assignee_ids: list[int]
    priority: str
    subject_id: int | None
    unknown_senders: str
    stats: MailboxStatsOut
    created_at: str | None


class MailboxList(BaseModel):
    items: list[MailboxOut]
    next_cursor: str | None = None


class MailboxTest(BaseModel):
    ok: bool
    detail: str
    messages: int
    idle: bool


class QuarantinedOut(BaseModel):
    id: int
    mailbox_id: int
    sender: str
    subject: str
    message_id: str
    reason: str
    size: int
    retryable: bool
    received_at: str | None
    attempts: int


class QuarantineList(BaseModel):
    items: list[QuarantinedOut]
    next_cursor: str | None


class OutcomeOut(BaseModel):
    kind: Literal["ticket", "comment", "dropped", "refused", "quarantined"]
    ticket_id: int | None
    comment_id: int | None
    reason: str


def _mailbox(m: pb.Mailbox) -> MailboxOut:
    s = m.stats
    return MailboxOut(
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
        created_at=ts(m.created_at),
        stats=MailboxStatsOut(
            last_poll_at=ts(s.last_poll_at),
            last_error=s.last_error or None,
            last_error_at=ts(s.last_error_at),
            idle=s.idle,
            ingested=s.ingested,
            replies=s.replies,
            dropped=s.dropped,
            quarantined=s.quarantined,
            refused=s.refused,
        ),
    )


@router.get("/mailboxes", response_model=MailboxList)
async def list_mailboxes(admin: AdminDep, request: Request) -> MailboxList:
    resp = await _stub(request).ListMailboxes(pb.ListMailboxesRequest())
    return MailboxList(items=[_mailbox(m) for m in resp.mailboxes])


@router.post("/mailboxes", response_model=MailboxOut, status_code=201)
async def create_mailbox(body: MailboxIn, admin: AdminDep, request: Request) -> MailboxOut:
    return _mailbox(await _stub(request).CreateMailbox(pb.CreateMailboxRequest(mailbox=body.to_pb())))


@router.get("/mailboxes/{mailbox_id}", response_model=MailboxOut)
async def get_mailbox(mailbox_id: int, admin: AdminDep, request: Request) -> MailboxOut:
    return _mailbox(await _stub(request).GetMailbox(pb.MailboxRequest(mailbox_id=mailbox_id)))


@router.put("/mailboxes/{mailbox_id}", response_model=MailboxOut)
async def update_mailbox(mailbox_id: int, body: MailboxIn, admin: AdminDep, request: Request) -> MailboxOut:
    resp = await _stub(request).UpdateMailbox(
        pb.UpdateMailboxRequest(mailbox_id=mailbox_id, mailbox=body.to_pb())
    )
    return _mailbox(resp)


@router.delete("/mailboxes/{mailbox_id}", status_code=204, response_class=Response)
async def delete_mailbox(mailbox_id: int, admin: AdminDep, request: Request) -> Response:
    await _stub(request).DeleteMailbox(pb.MailboxRequest(mailbox_id=mailbox_id))
    return Response(status_code=204)


@router.post("/mailboxes/{mailbox_id}/test", response_model=MailboxTest)
async def test_mailbox(mailbox_id: int, admin: AdminDep, request: Request) -> MailboxTest:
    r = await _stub(request).TestMailbox(pb.MailboxRequest(mailbox_id=mailbox_id), timeout=60)
    return MailboxTest(ok=r.ok, detail=r.detail, messages=r.messages, idle=r.idle)


@router.get("/mail-quarantine", response_model=QuarantineList)
async def list_quarantine(
    admin: AdminDep, request: Request, mailbox_id: int = 0, limit: int = 50, cursor: int | None = None
) -> QuarantineList:
    limit = min(max(limit, 1), 200)
    resp = await _stub(request).ListQuarantine(
        pb.ListQuarantineRequest(mailbox_id=mailbox_id, limit=limit, before_id=cursor or 0)
    )
    items = [
        QuarantinedOut(
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
        for m in resp.messages
    ]
    return QuarantineList(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.post("/mail-quarantine/{message_id}/retry", response_model=OutcomeOut)
async def retry_quarantined(message_id: int, admin: AdminDep, request: Request) -> OutcomeOut:
    r = await _stub(request).RetryQuarantined(pb.RetryQuarantinedRequest(message_id=message_id), timeout=120)
    return OutcomeOut(
        kind=r.kind,
        ticket_id=r.ticket_id or None,
        comment_id=r.comment_id or None,
        reason=r.reason,
    )
