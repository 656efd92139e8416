"""What one mail becomes: a comment on the ticket it answers, a new ticket, or nothing
(dropped, refused), or it is quarantined. The rules are in docs/product/mail-intake.md.

``Intake.receive`` is called by the poller for every new UID. The message's record is
made first (in its own transaction); the other services are called with idempotency keys
derived from (mailbox, UIDVALIDITY, UID, Message-ID); the outcome and the mailbox's
counters are committed together at the end. A poller that dies anywhere in between finds
the record again and files nothing twice; one that dies after the commit finds the
outcome and only flags or moves the mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, Unavailable
from helpdesk_kit.logs import get_logger
from helpdesk_mailin import store
from helpdesk_mailin.domain import detection, references
from helpdesk_mailin.domain.idempotency import MailKey
from helpdesk_mailin.domain.mailbox import (
    ANONYMOUS_ADDRESS,
    ANONYMOUS_NAME,
    Account,
    SenderKind,
    UnknownSenders,
    identify,
)
from helpdesk_mailin.domain.message import Attachment, Mail, parse
from helpdesk_mailin.domain.quotes import reply_body
from helpdesk_mailin.ports import FileRefused, Peers, TicketDraft
from helpdesk_mailin.store import MailboxRow, MessageRow

log = get_logger(__name__)

# Tickets' own limits (a comment's words and files, a ticket's subject and body).
MAX_SUBJECT = 255
MAX_BODY = 100_000
MAX_COMMENT = 50_000
MAX_COMMENT_FILES = 20
_COUNTER = {"ticket": "ingested", "comment": "replies", "dropped": "dropped"}
_COUNTER |= {"refused": "refused", "quarantined": "quarantined"}


@dataclass(frozen=True)
class Limits:
    #: Mails one sender may send in an hour (over it they are dropped); 0 = no limit.
    per_sender_per_hour: int = 30
    #: Files larger than this are not sent to tickets at all (tickets has its own limit too).
    max_file_bytes: int = 25 * 1024 * 1024
    #: A quarantined mail up to this size is kept for the retry.
    keep_bytes: int = 30 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    kind: str  # ticket | comment | dropped | refused | quarantined
    ticket_id: int | None = None
    comment_id: int | None = None
    reason: str = ""
    anonymous: bool = False


def _clip(text: str, limit: int, note: str = "\n\n[…]") -> str:
    return text if len(text) <= limit else text[: limit - len(note)] + note


def _refused_note(refused: list[tuple[str, str]]) -> str:
    lines = "\n".join(f"- {name}: {why}" for name, why in refused)
    return f"Files not accepted / Файлы не приняты:\n\n{lines}"


class Intake:
    def __init__(self, *, db: Database, peers: Peers, limits: Limits | None = None) -> None:
        self._db = db
        self._peers = peers
        self._limits = limits or Limits()

    async def receive(self, *, box: MailboxRow, uidvalidity: int, uid: int, raw: bytes) -> Outcome:
        """The outcome of one mail (an earlier run's when that one filed it already)."""
        mail = parse(raw)
        async with self._db.unit_of_work() as uow:
            row = await store.messages.begin(
                uow.conn,
                mailbox_id=box.id,
                uidvalidity=uidvalidity,
                uid=uid,
                message_id=mail.message_id,
                sender=mail.sender_key,
                subject=mail.subject,
                size=len(raw),
            )
            copy = not row.is_final and await store.messages.done_elsewhere(
                uow.conn, box.id, mail.message_id, row.id
            )
            await uow.commit()
        if row.is_final:  # an earlier run filed it and died before flagging the mail
            return Outcome(row.status, row.ticket_id, row.comment_id, row.reason)
        if copy:
            return await self._finish(
                box, row, Outcome("dropped", reason="a copy of a mail filed before"), raw
            )
        return await self._settle(box, row, mail, raw)

    async def retry(self, *, box: MailboxRow, row: MessageRow, raw: bytes) -> Outcome:
        """A quarantined mail processed again (its record and keys are the same)."""
        return await self._settle(box, row, parse(raw), raw)

    async def _settle(self, box: MailboxRow, row: MessageRow, mail: Mail, raw: bytes) -> Outcome:
        key = MailKey(box.id, row.uidvalidity, row.uid, mail.message_id)
        try:
            outcome = await self._process(box, row, key, mail)
        except Unavailable:
            raise  # another service is down: the mail waits, untouched, for the next poll
        except AppError as exc:  # refused by a service for this mail's sake: an admin looks
            outcome = Outcome("quarantined", reason=f"{type(exc).__name__}: {exc.detail}")
        return await self._finish(box, row, outcome, raw)

    async def _finish(self, box: MailboxRow, row: MessageRow, outcome: Outcome, raw: bytes) -> Outcome:
        keep = raw if outcome.kind == "quarantined" and len(raw) <= self._limits.keep_bytes else None
        async with self._db.unit_of_work() as uow:
            await store.messages.finish(
                uow.conn,
                row.id,
                status=outcome.kind,
                reason=outcome.reason,
                ticket_id=outcome.ticket_id,
                comment_id=outcome.comment_id,
                anonymous=outcome.anonymous,
                raw=keep,
            )
            await store.mailboxes.count(uow.conn, box.id, _COUNTER[outcome.kind])
            await uow.commit()
        log.info(
            "mailin.message", mailbox_id=box.id, uid=row.uid, outcome=outcome.kind, reason=outcome.reason
        )
        return outcome

    async def _process(self, box: MailboxRow, row: MessageRow, key: MailKey, mail: Mail) -> Outcome:
        reason = detection.drop_reason(mail)
        if reason is None:
            async with self._db.unit_of_work() as uow:
                recent = await store.messages.recent_from(uow.conn, mail.sender_key, 3600, row.id)
            if detection.over_rate(recent, self._limits.per_sender_per_hour):
                reason = f"over the sender's rate: {recent} mails in the last hour"
        if reason is not None:
            return Outcome("dropped", reason=reason)
        sender = identify(await self._peers.accounts(mail.sender))
        if sender.kind is SenderKind.AMBIGUOUS:
            ids = ", ".join(str(a.user_id) for a in sender.others)
            return Outcome("quarantined", reason=f"several active accounts hold {mail.sender}: {ids}")
        if sender.kind is SenderKind.DISABLED:
            return await self._refuse(key, mail, "disabled_sender")
        account, anonymous = sender.account, False
        if sender.kind is SenderKind.UNKNOWN:
            policy = UnknownSenders(box.settings.unknown_senders)
            if policy is UnknownSenders.REFUSE:
                return await self._refuse(key, mail, "unknown_sender")
            anonymous = policy is UnknownSenders.ANONYMOUS
            account = await self._unknown_sender_account(mail, anonymous=anonymous)
        assert account is not None
        passport = await self._peers.passport(account.user_id)
        for ticket_id in references.ticket_ids(mail):
            if await self._may_answer(passport, ticket_id, mail, anonymous=anonymous):
                return await self._comment(passport, ticket_id, key, mail)
        return await self._ticket(box, passport, key, mail, anonymous=anonymous)

    async def _unknown_sender_account(self, mail: Mail, *, anonymous: bool) -> Account:
        if anonymous:
            return await self._peers.create_client(ANONYMOUS_ADDRESS, ANONYMOUS_NAME)
        return await self._peers.create_client(mail.sender, mail.sender_name)

    async def _may_answer(self, passport: str, ticket_id: int, mail: Mail, *, anonymous: bool) -> bool:
        if anonymous:
            # Everyone anonymous is one account: only the address that opened it answers it.
            async with self._db.unit_of_work() as uow:
                opener = await store.messages.anonymous_sender_of(uow.conn, ticket_id)
            return opener == mail.sender_key
        return await self._peers.may_see(passport, ticket_id)

    async def _refuse(self, key: MailKey, mail: Mail, reason: str) -> Outcome:
        # One refusal per sender and day, however many mails he sends (no reply storms).
        day = datetime.now(UTC).date().isoformat()
        await self._peers.refuse(
            key=f"refusal:{MailKey(0, 0, 0, mail.sender_key).digest()}:{day}",
            to_address=mail.sender,
            to_name=mail.sender_name,
            in_reply_to=mail.message_id,
            subject=mail.subject,
            reason=reason,
        )
        return Outcome("refused", reason=reason.replace("_", " "))

    async def _upload_all(
        self,
        passport: str,
        ticket_id: int,
        key: MailKey,
        files: tuple[Attachment, ...],
        room: int,
        *,
        for_comment: bool,
    ) -> tuple[list[int], list[tuple[str, str]]]:
        """Uploads the files tickets will take (at most ``room``): their ids, and the
        others with the reason. ``for_comment``: they go on the reply's comment."""
        stored: list[int] = []
        refused: list[tuple[str, str]] = []
        for index, f in enumerate(files):
            if len(stored) >= room:
                refused.append((f.filename, f"more than {room} files"))
            elif not f.data:
                refused.append((f.filename, "empty"))
            elif len(f.data) > self._limits.max_file_bytes:
                refused.append((f.filename, f"larger than {self._limits.max_file_bytes} bytes"))
            else:
                try:
                    stored.append(
                        await self._peers.upload(
                            passport,
                            ticket_id,
                            f.filename,
                            f.data,
                            key.for_file(ticket_id, index),
                            for_comment=for_comment,
                        )
                    )
                except FileRefused as exc:
                    refused.append((f.filename, exc.reason))
        return stored, refused

    async def _comment(self, passport: str, ticket_id: int, key: MailKey, mail: Mail) -> Outcome:
        ids, refused = await self._upload_all(
            passport, ticket_id, key, mail.attachments, MAX_COMMENT_FILES, for_comment=True
        )
        body = reply_body(mail)
        if refused:
            body = f"{body}\n\n{_refused_note(refused)}"
        if not body.strip() and not ids:
            body = "(empty message / пустое письмо)"
        comment_id = await self._peers.add_comment(
            passport, ticket_id, _clip(body, MAX_COMMENT), ids, key.for_comment(ticket_id)
        )
        return Outcome("comment", ticket_id=ticket_id, comment_id=comment_id)

    async def _ticket(
        self, box: MailboxRow, passport: str, key: MailKey, mail: Mail, *, anonymous: bool
    ) -> Outcome:
        s = box.settings
        subject = " ".join(mail.subject.split())[:MAX_SUBJECT] or "(no subject)"
        body = mail.text or "(empty message / пустое письмо)"
        if s.subject_id:
            # The listed subject names the ticket (and its SLA plan); the mail's stays in the body.
            body = f"**{subject}**\n\n{body}"
        if anonymous:
            who = f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender
            body = f"**From / От:** {who}\n\n{body}"
        draft = TicketDraft(
            subject, _clip(body, MAX_BODY), s.priority, s.unit_id, s.assignee_ids, s.subject_id
        )
        ticket_id = await self._peers.create_ticket(passport, draft, key.for_ticket())
        _, refused = await self._upload_all(
            passport, ticket_id, key, mail.attachments, len(mail.attachments), for_comment=False
        )
        if refused:
            await self._peers.add_comment(
                passport, ticket_id, _refused_note(refused), [], key.for_note(ticket_id)
            )
        return Outcome("ticket", ticket_id=ticket_id, anonymous=anonymous)
