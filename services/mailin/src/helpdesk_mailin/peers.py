"""The other services as mailin calls them (``usecases.ports.Peers`` over gRPC).

identity: who holds an address, a client for an unknown sender, the sender's passport
(methods open to mailin only); tickets: each call carries the sender's passport
(``acting_for``), so tickets decides what he may see and do exactly as for the web;
notify: the polite refusal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.notify.v1 import notify_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from helpdesk.tickets.v1 import tickets_pb2_grpc

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.rpc import translate_rpc_error
from helpdesk_kit.trust import acting_for
from helpdesk_mailin.domain.mailbox import Account
from helpdesk_mailin.ports import FileRefused, TicketDraft

_PRIORITY = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
CHUNK = 64 * 1024


def _account(u: id_pb.User) -> Account:
    return Account(
        user_id=u.id, is_active=u.is_active, is_client=u.kind == id_pb.USER_KIND_CLIENT, email=u.email
    )


class GrpcPeers:
    def __init__(
        self, *, identity: grpc.aio.Channel, tickets: grpc.aio.Channel, notify: grpc.aio.Channel
    ) -> None:
        self._identity = identity_pb2_grpc.IdentityStub(identity)
        self._tickets = tickets_pb2_grpc.TicketsStub(tickets)
        self._notify = notify_pb2_grpc.NotifyStub(notify)

    async def accounts(self, email: str) -> list[Account]:
        if "@" not in email:
            return []
        try:
            found = await self._identity.FindUsersByEmail(id_pb.FindUsersByEmailRequest(email=email))
        except InvalidInput:  # not an address identity would store: nobody holds it
            return []
        return [_account(u) for u in found.users]

    async def create_client(self, email: str, full_name: str) -> Account:
        user = await self._identity.CreateMailClient(
            id_pb.CreateMailClientRequest(email=email, full_name=full_name)
        )
        return _account(user)

    async def passport(self, user_id: int) -> str:
        resp = await self._identity.IssuePassport(id_pb.IssuePassportRequest(user_id=user_id))
        return resp.passport

    async def may_see(self, passport: str, ticket_id: int) -> bool:
        with acting_for(passport):
            try:
                await self._tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=ticket_id))
            except NotFound:
                return False
        return True

    async def create_ticket(self, passport: str, draft: TicketDraft, key: str) -> int:
        request = t_pb.CreateTicketRequest(
            subject=draft.subject,
            body=draft.body,
            priority=_PRIORITY[draft.priority],
            unit_id=draft.unit_id,
            assignee_ids=list(draft.assignee_ids),
            subject_id=draft.subject_id,
            idempotency_key=key,
            source="email",
        )
        with acting_for(passport):
            ticket = await self._tickets.CreateTicket(request)
        return ticket.id

    async def add_comment(
        self, passport: str, ticket_id: int, body: str, attachment_ids: list[int], key: str
    ) -> int:
        request = t_pb.AddCommentRequest(
            ticket_id=ticket_id, body=body, attachment_ids=attachment_ids, idempotency_key=key
        )
        with acting_for(passport):
            comment = await self._tickets.AddComment(request)
        return comment.id

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
        async def chunks() -> AsyncIterator[t_pb.UploadChunk]:
            header = t_pb.UploadHeader(
                ticket_id=ticket_id,
                filename=filename or "attachment",
                idempotency_key=key,
                for_comment=for_comment,
            )
            yield t_pb.UploadChunk(header=header)
            for start in range(0, len(data), CHUNK):
                yield t_pb.UploadChunk(data=data[start : start + CHUNK])

        with acting_for(passport):
            try:
                attachment = await self._tickets.UploadAttachment(chunks())
            except grpc.aio.AioRpcError as exc:  # client streams map their errors themselves
                error = translate_rpc_error(exc, "tickets")
                if isinstance(error, InvalidInput):
                    raise FileRefused("; ".join(e.message for e in error.errors) or error.detail) from exc
                raise error from exc
        return attachment.id

    async def refuse(
        self, *, key: str, to_address: str, to_name: str, in_reply_to: str, subject: str, reason: str
    ) -> None:
        await self._notify.QueueAutoReply(
            n_pb.QueueAutoReplyRequest(
                key=key,
                to_address=to_address,
                to_name=to_name,
                in_reply_to=in_reply_to,
                subject=subject,
                reason=reason,
            )
        )
