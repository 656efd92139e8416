"""Files on comments: only the caller's own, unlinked uploads to the same ticket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from helpdesk.tickets.v1 import events_pb2

from helpdesk_kit.db import Database
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, Attachment, NewTicket, Priority, Role, Ticket
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.storage import FileStore

CLIENT = Actor(8, True, None, client_group_id=100)
MEMBER = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def ticket(db: Database, units: UnitDirectory) -> Ticket:
    new = NewTicket("Screen", "See picture", Priority.NORMAL, 10, [], None, "web")
    return await usecases.create_ticket(db=db, units=units, actor=CLIENT, new=new, idempotency_key=None)


async def upload(db: Database, tmp_path: Path, actor: Actor, t: Ticket, name: str = "a.png") -> Attachment:
    return await usecases.upload_attachment(
        db=db,
        blobs=FileStore(tmp_path / "files"),
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=actor,
        ticket_id=t.id,
        filename=name,
        chunks=one_chunk(PNG),
    )


async def test_a_comment_carries_the_callers_uploads_and_may_have_no_words(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t = await ticket(db, units)
    a = await upload(db, tmp_path, CLIENT, t, "one.png")
    b = await upload(db, tmp_path, CLIENT, t, "two.png")
    loose = await upload(db, tmp_path, CLIENT, t, "loose.png")
    c = await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="", attachment_ids=[b.id, a.id])
    assert [x.filename for x in c.attachments] == ["one.png", "two.png"]
    listed = await usecases.list_comments(db=db, actor=MEMBER, ticket_id=t.id)
    assert [x.id for x in listed[0].attachments] == [a.id, b.id]
    on_ticket = await usecases.list_attachments(db=db, actor=MEMBER, ticket_id=t.id)
    assert {x.id: x.comment_id for x in on_ticket} == {a.id: c.id, b.id: c.id, loose.id: None}
    payload = await db.pool.fetchval("SELECT payload FROM outbox WHERE subject = 'tickets.TicketCommented'")
    assert list(events_pb2.TicketCommented.FromString(bytes(payload)).attachment_ids) == [a.id, b.id]


async def test_someone_elses_upload_a_linked_one_or_one_of_another_ticket_is_refused(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    t, other = await ticket(db, units), await ticket(db, units)
    mine = await upload(db, tmp_path, CLIENT, t)
    members = await upload(db, tmp_path, MEMBER, t)
    elsewhere = await upload(db, tmp_path, CLIENT, other)
    await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="first", attachment_ids=[mine.id])
    for ids in ([members.id], [elsewhere.id], [mine.id], [999_999]):
        with pytest.raises(InvalidTicket) as err:
            await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="again", attachment_ids=ids)
        assert err.value.errors[0].field == "attachment_ids"
    assert len(await usecases.list_comments(db=db, actor=CLIENT, ticket_id=t.id)) == 1
    files = await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id)
    assert {x.id: x.comment_id for x in files}[members.id] is None


async def test_an_empty_comment_without_files_is_refused(db: Database, units: UnitDirectory) -> None:
    t = await ticket(db, units)
    with pytest.raises(InvalidTicket) as err:
        await usecases.add_comment(db=db, actor=CLIENT, ticket_id=t.id, body="  ")
    assert err.value.errors[0].field == "body"
