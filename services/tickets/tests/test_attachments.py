"""Attachments: sniffed types, size limits, who may download, both storage backends."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from helpdesk_kit.db import Database
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Ticket
from helpdesk_tickets.errors import InvalidTicket, TicketNotFound
from helpdesk_tickets.storage import BlobStore, FileStore, S3Store

CLIENT = Actor(8, True, None, client_group_id=100)
MEMBER = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
STRANGER = Actor(6, False, Role.UNIT_MEMBER, frozenset({20}))
ADMIN = Actor(1, False, Role.DEPARTMENT_HEAD, is_admin=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 40


def stored_files(root: Path, pattern: str = "**/*") -> list[Path]:
    return [p for p in root.glob(pattern) if p.is_file()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["filesystem", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return FileStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    bucket = f"b{tmp_path.name.lower().replace('_', '')[-20:]}"
    client.create_bucket(Bucket=bucket)
    return S3Store(client, bucket)


async def stream(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def ticket(db: Database, units: UnitDirectory) -> Ticket:
    new = NewTicket("Screen", "See picture", Priority.NORMAL, 10, [], None, "web")
    return await usecases.create_ticket(db=db, units=units, actor=CLIENT, new=new, idempotency_key=None)


async def upload(db: Database, blobs: BlobStore, tmp_path: Path, t: Ticket, name: str, data: bytes) -> object:
    return await usecases.upload_attachment(
        db=db,
        blobs=blobs,
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=CLIENT,
        ticket_id=t.id,
        filename=name,
        chunks=stream(data),
    )


async def test_an_image_round_trips_for_those_who_see_the_ticket(
    db: Database, units: UnitDirectory, blobs: BlobStore, tmp_path: Path
) -> None:
    t = await ticket(db, units)
    a = await usecases.upload_attachment(
        db=db,
        blobs=blobs,
        spool=tmp_path,
        settings=usecases.SettingsCache(),
        actor=CLIENT,
        ticket_id=t.id,
        filename="C:\\Users\\me\\screen.png",
        chunks=stream(PNG),
    )
    assert (a.filename, a.content_type, a.size) == ("screen.png", "image/png", len(PNG))
    meta, data = await usecases.open_attachment(db=db, blobs=blobs, actor=MEMBER, attachment_id=a.id)
    assert meta.content_type == "image/png"
    assert b"".join([c async for c in data]) == PNG
    with pytest.raises(TicketNotFound):
        await usecases.open_attachment(db=db, blobs=blobs, actor=STRANGER, attachment_id=a.id)
    history = await usecases.ticket_history(db=db, actor=CLIENT, ticket_id=t.id)
    assert history[-1].changes == {"attachments": [None, "screen.png"]}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("avatar.png", b"<?php system($_GET['c']); ?>"),
        ("avatar.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("notes.txt", b"<html><body onload=alert(1)></body></html>"),
        ("shell.php", b"<?php echo 1; ?>"),
        ("screen.pdf", PNG),
    ],
)
async def test_a_file_whose_content_is_not_what_its_name_says_is_refused_and_nothing_is_kept(
    db: Database, units: UnitDirectory, tmp_path: Path, name: str, data: bytes
) -> None:
    blobs = FileStore(tmp_path / "files")
    t = await ticket(db, units)
    with pytest.raises(InvalidTicket) as err:
        await upload(db, blobs, tmp_path, t, name, data)
    assert err.value.errors[0].field == "file"
    assert await usecases.list_attachments(db=db, actor=CLIENT, ticket_id=t.id) == []
    assert stored_files(tmp_path / "files") == []
    assert stored_files(tmp_path, "upload-*") == []


async def test_a_file_over_the_size_limit_is_refused(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    await usecases.put_settings(db=db, actor=ADMIN, value={"max_file_bytes": 5000})
    t = await ticket(db, units)
    with pytest.raises(InvalidTicket, match="refused"):
        await upload(db, FileStore(tmp_path / "files"), tmp_path, t, "big.png", PNG)


async def test_deleting_a_ticket_deletes_its_files(
    db: Database, units: UnitDirectory, tmp_path: Path
) -> None:
    blobs = FileStore(tmp_path / "files")
    t = await ticket(db, units)
    await upload(db, blobs, tmp_path, t, "a.png", PNG)
    await usecases.delete(db=db, actor=ADMIN, ticket_id=t.id, blobs=blobs)
    assert stored_files(tmp_path / "files") == []
