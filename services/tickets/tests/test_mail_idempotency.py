"""What mail intake relies on: a retried comment or upload finds the first one, and a
mailbox's routing may give a client's ticket its assignees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpdesk_kit.db import Database
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, Attachment, NewTicket, Priority, Ticket
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.storage import FileStore

CLIENT = Actor(8, True, None, client_group_id=100)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def new_ticket(db: Database, units: UnitDirectory) -> Ticket:
    new = NewTicket("Mail", "Body", Priority.NORMAL, 10, [], None, "email")
    return await usecases.create_ticket(db=db, units=units, actor=CLIENT, new=new, idempotency_key=None)


async def upload(db: Database, tmp_path: Path, t: Ticket, key: str | None, name: str = "a.png") -> Attachment:
    return await usecases.upload_attachment(
        db=db,
        blobs=FileStore(tmp_path / "files"),
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=CLIENT,
        ticket_id=t.id,
        filename=name,
        chunks=one_chunk(PNG),
        idempotency_key=key,
    )


async def test_a_retried_comment_with_its_key_returns_the_first_and_adds_nothing(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t = await new_ticket(db, units)
    a = await upload(db, tmp_path, t, "mail:1:file:0")
    first = await usecases.add_comment(
        db=db, actor=CLIENT, ticket_id=t.id, body="Thanks", attachment_ids=[a.id], idempotency_key="mail:1"
    )
    # The retry uploads the file again (same key: the same file) and comments again.
    again_file = await upload(db, tmp_path, t, "mail:1:file:0")
    assert again_file.id == a.id
    second = await usecases.add_comment(
        db=db,
        actor=CLIENT,
        ticket_id=t.id,
        body="Thanks",
        attachment_ids=[again_file.id],
        idempotency_key="mail:1",
    )
    assert second.id == first.id and [x.id for x in second.attachments] == [a.id]
    assert len(await usecases.list_comments(db=db, actor=CLIENT, ticket_id=t.id)) == 1
    assert len(await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id)) == 1
    commented = await db.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'tickets.TicketCommented'"
    )
    assert commented == 1


async def test_comments_without_a_key_are_each_added(db: Database, units: UnitDirectory) -> None:
    t = await new_ticket(db, units)
    for _ in range(2):
        await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="Again")
    assert len(await usecases.list_comments(db=db, actor=CLIENT, ticket_id=t.id)) == 2


async def test_an_upload_key_of_another_ticket_is_refused(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t, other = await new_ticket(db, units), await new_ticket(db, units)
    await upload(db, tmp_path, t, "k")
    with pytest.raises(InvalidTicket) as err:
        await upload(db, tmp_path, other, "k")
    assert err.value.errors[0].field == "idempotency_key"


async def test_a_client_may_not_name_assignees_unless_a_mailbox_routes_the_ticket(
    db: Database, units: UnitDirectory
) -> None:
    new = NewTicket("Mail", "Body", Priority.NORMAL, 10, [4], None, "email")
    with pytest.raises(InvalidTicket):
        await usecases.create_ticket(db=db, units=units, actor=CLIENT, new=new, idempotency_key=None)
    routed = await usecases.create_ticket(
        db=db, units=units, actor=CLIENT, new=new, idempotency_key=None, routed=True
    )
    assert routed.assignee_ids == [4] and routed.author_id == CLIENT.user_id and routed.source == "email"
