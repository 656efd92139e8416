"""The administrators' use cases: mailboxes (create, read, change, delete, test) and the
quarantine (list, retry). Every one checks the caller's admin flag first."""

from __future__ import annotations

import ssl
from dataclasses import replace

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_mailin import store
from helpdesk_mailin.domain.mailbox import MailboxSettings
from helpdesk_mailin.errors import (
    AdminOnly,
    ImapUnavailable,
    InvalidMailbox,
    MailboxNotFound,
    MessageNotFound,
)
from helpdesk_mailin.imap import probe
from helpdesk_mailin.store import MailboxRow, MessageRow
from helpdesk_mailin.usecases.intake import Intake, Outcome

MAX_PASSWORD = 1000


def _require_admin(is_admin: bool) -> None:
    if not is_admin:
        raise AdminOnly()


def _checked(settings: MailboxSettings, password: str | None) -> MailboxSettings:
    s = replace(
        settings, name=settings.name.strip(), host=settings.host.strip(), login=settings.login.strip()
    )
    errors = s.errors()
    if password is not None and len(password) > MAX_PASSWORD:
        errors.append(FieldError("password", f"at most {MAX_PASSWORD} characters"))
    if errors:
        raise InvalidMailbox("The mailbox is not valid.", errors=errors)
    return s


async def list_mailboxes(*, db: Database, is_admin: bool) -> list[MailboxRow]:
    _require_admin(is_admin)
    async with db.unit_of_work() as uow:
        return await store.mailboxes.mailboxes(uow.conn)


async def get_mailbox(*, db: Database, is_admin: bool, mailbox_id: int) -> MailboxRow:
    _require_admin(is_admin)
    async with db.unit_of_work() as uow:
        row = await store.mailboxes.mailbox(uow.conn, mailbox_id)
    if row is None:
        raise MailboxNotFound()
    return row


async def create_mailbox(
    *, db: Database, is_admin: bool, settings: MailboxSettings, password: str
) -> MailboxRow:
    _require_admin(is_admin)
    checked = _checked(settings, password)
    async with db.unit_of_work() as uow:
        mailbox_id = await store.mailboxes.insert_mailbox(uow.conn, checked, password)
        row = await store.mailboxes.mailbox(uow.conn, mailbox_id)
        await uow.commit()
    assert row is not None
    return row


async def update_mailbox(
    *, db: Database, is_admin: bool, mailbox_id: int, settings: MailboxSettings, password: str | None
) -> MailboxRow:
    """Replaces the settings; the password only when one is given (None keeps it)."""
    _require_admin(is_admin)
    checked = _checked(settings, password)
    async with db.unit_of_work() as uow:
        if not await store.mailboxes.update_mailbox(uow.conn, mailbox_id, checked):
            raise MailboxNotFound()
        if password is not None:
            await store.mailboxes.set_password(uow.conn, mailbox_id, password)
        row = await store.mailboxes.mailbox(uow.conn, mailbox_id)
        await uow.commit()
    assert row is not None
    return row


async def delete_mailbox(*, db: Database, is_admin: bool, mailbox_id: int) -> None:
    _require_admin(is_admin)
    async with db.unit_of_work() as uow:
        if not await store.mailboxes.delete_mailbox(uow.conn, mailbox_id):
            raise MailboxNotFound()
        await uow.commit()


async def test_mailbox(
    *,
    db: Database,
    is_admin: bool,
    mailbox_id: int,
    seconds: float,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[bool, str, int, bool]:
    """(ok, detail, messages in the folder, IDLE announced) with the stored settings."""
    row = await get_mailbox(db=db, is_admin=is_admin, mailbox_id=mailbox_id)
    async with db.unit_of_work() as uow:
        password = await store.mailboxes.password_of(uow.conn, mailbox_id)
    try:
        state = await probe(row.settings, password, seconds=seconds, ssl_context=ssl_context)
    except ImapUnavailable as exc:
        return False, exc.detail, 0, False
    return True, f"{row.settings.folder}: {state.messages} messages", state.messages, state.idle


async def list_quarantine(
    *, db: Database, is_admin: bool, mailbox_id: int | None, limit: int, before_id: int | None
) -> list[MessageRow]:
    _require_admin(is_admin)
    async with db.unit_of_work() as uow:
        return await store.messages.quarantined(
            uow.conn, mailbox_id=mailbox_id, limit=min(max(limit, 1), 200), before_id=before_id
        )


async def retry_quarantined(*, db: Database, intake: Intake, is_admin: bool, message_id: int) -> Outcome:
    """The kept mail processed again; its counters move from quarantined to the outcome."""
    _require_admin(is_admin)
    async with db.unit_of_work() as uow:
        found = await store.messages.quarantined_for_retry(uow.conn, message_id)
        box = await store.mailboxes.mailbox(uow.conn, found[0].mailbox_id) if found else None
        if found is not None and box is not None:
            await store.mailboxes.count(uow.conn, box.id, "quarantined", -1)
            await uow.commit()
    if found is None or box is None:
        raise MessageNotFound()
    row, raw = found
    return await intake.retry(box=box, row=row, raw=raw)
