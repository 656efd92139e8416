"""Files on tickets: streamed upload with type sniffing and size limits, download, listing."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from helpdesk_kit import filetypes
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_tickets import events, store
from helpdesk_tickets.domain import Action, Actor, Attachment, can_see, client_sees_file, judge
from helpdesk_tickets.errors import InvalidTicket, TicketNotFound
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.usecases.caches import SettingsCache
from helpdesk_tickets.usecases.guards import check_verdict, ticket_to_change, visible_ticket


async def upload_attachment(
    *,
    db: Database,
    blobs: BlobStore,
    spool: Path,
    settings: SettingsCache,
    actor: Actor,
    ticket_id: int,
    filename: str,
    chunks: AsyncIterator[bytes],
    idempotency_key: str | None = None,
    for_comment: bool = False,
) -> Attachment:
    """Streams the file to a temporary file (never all in memory), judges its sniffed type
    and size, then stores it and records it on the ticket in one transaction. A file for
    the comment being written gets no history entry and no event: the comment records it.

    With ``idempotency_key``, the same key from the same user returns the file it stored
    (the bytes sent again are not read) and stores nothing."""
    async with db.unit_of_work() as uow:
        ticket = await store.ticket_by_id(uow.conn, ticket_id)
        earlier = (
            await store.attachment_by_key(uow.conn, actor.user_id, idempotency_key)
            if idempotency_key
            else None
        )
    if ticket is None:
        raise TicketNotFound()
    check_verdict(judge(actor, ticket, Action.COMMENT), Action.COMMENT, ticket)
    if earlier is not None:
        return _same_ticket(earlier, ticket_id)
    limits = await settings.get(db)
    key, size, content_type = await _spool_and_store(blobs, spool, limits, filename, chunks)
    clean_name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    try:
        async with db.unit_of_work() as uow:
            locked = await ticket_to_change(uow.conn, actor, ticket_id, Action.COMMENT)
            attachment = await store.insert_attachment(
                uow.conn,
                ticket_id=ticket_id,
                storage_key=key,
                filename=clean_name,
                content_type=content_type,
                size=size,
                author_id=actor.user_id,
                idempotency_key=idempotency_key,
                for_comment=for_comment,
            )
            if not for_comment:
                saved = await store.save_ticket(uow.conn, locked)
                await store.add_history(
                    uow.conn, ticket_id, actor.user_id, "edited", {"attachments": [None, clean_name]}
                )
                await uow.record_event(*events.ticket_edited(saved, actor, ["attachments"]))
            await uow.commit()
    except asyncpg.UniqueViolationError:
        # The same key stored by a concurrent call: that one's file is the answer.
        await blobs.delete(key)
        async with db.unit_of_work() as uow:
            earlier = await store.attachment_by_key(uow.conn, actor.user_id, idempotency_key or "")
        if earlier is None:
            raise
        return _same_ticket(earlier, ticket_id)
    except BaseException:
        await blobs.delete(key)
        raise
    return attachment


async def _spool_and_store(
    blobs: BlobStore, spool: Path, limits: dict[str, Any], filename: str, chunks: AsyncIterator[bytes]
) -> tuple[str, int, str]:
    """Streams the bytes to a temporary file, judges size and sniffed type, puts them in the
    blob store: (storage key, size, content type)."""
    max_bytes = int(limits["max_file_bytes"])
    fd, name = tempfile.mkstemp(dir=spool, prefix="upload-")
    tmp = Path(name)
    content_type: str | None = None
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise filetypes.too_large(max_bytes, InvalidTicket)
                if content_type is None:
                    head += chunk
                    if len(head) >= filetypes.SNIFF_BYTES:
                        content_type = filetypes.judge_file(
                            filename, head, limits["allowed_types"], error=InvalidTicket
                        )
                out.write(chunk)
        if content_type is None:
            if size == 0:
                raise filetypes.empty(InvalidTicket)
            content_type = filetypes.judge_file(filename, head, limits["allowed_types"], error=InvalidTicket)
        key = secrets.token_hex(20)
        await blobs.put(key, tmp)
    finally:
        await asyncio.to_thread(tmp.unlink, missing_ok=True)
    return key, size, content_type


def _same_ticket(earlier: Attachment, ticket_id: int) -> Attachment:
    if earlier.ticket_id != ticket_id:
        raise InvalidTicket(
            "The file is refused.", errors=[FieldError("idempotency_key", "used for another ticket")]
        )
    return earlier


async def open_attachment(
    *, db: Database, blobs: BlobStore, actor: Actor, attachment_id: int
) -> tuple[Attachment, AsyncIterator[bytes]]:
    """The attachment and its bytes, for those who may see its ticket (others: 404)."""
    async with db.unit_of_work() as uow:
        attachment = await store.attachment_by_id(uow.conn, attachment_id)
        ticket = await store.ticket_by_id(uow.conn, attachment.ticket_id) if attachment else None
        hidden = (
            await store.internal_comment_ids(uow.conn, ticket.id) if ticket and actor.is_client else set()
        )
    if attachment is None or ticket is None or not can_see(actor, ticket):
        raise TicketNotFound("No such attachment.")
    if actor.is_client and not client_sees_file(attachment, hidden):
        raise TicketNotFound("No such attachment.")
    return attachment, blobs.read(attachment.storage_key)


async def list_attachments(*, db: Database, actor: Actor, ticket_id: int) -> list[Attachment]:
    """Every file for staff; for clients, not those of internal notes or still waiting for
    their comment."""
    async with db.unit_of_work() as uow:
        await visible_ticket(uow.conn, actor, ticket_id)
        found = await store.attachments(uow.conn, ticket_id)
        if not actor.is_client:
            return found
        hidden = await store.internal_comment_ids(uow.conn, ticket_id)
    return [a for a in found if client_sees_file(a, hidden)]
