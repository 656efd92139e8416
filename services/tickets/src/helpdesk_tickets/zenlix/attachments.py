"""ZENLIX's files (``<upload dir>/<file_hash>.<ext>``) → tickets' blob store, checked like uploads.

Each file is judged as an upload is (size limit, type sniffed from the content and in
agreement with the name, allowed types from the settings) and copied into the same
store uploads use. A file the disk lost or the checks refuse is counted, not fatal.

A batch's files are judged and spooled in one worker thread (one hop for all of them,
not several per file), then handed to the store a few at a time.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpdesk_kit import filetypes as judge
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.store.zenlix import AttachmentRow
from helpdesk_zenlix import records
from helpdesk_zenlix.report import Tally

PARALLEL_PUTS = 8


@dataclass(frozen=True)
class Carrier:
    """Where files come from and go, and the limits they must keep."""

    files_dir: Path | None
    blobs: BlobStore | None  # None: a dry run (judge only, copy nothing)
    spool: Path
    max_bytes: int
    allowed: list[str]


@dataclass(frozen=True)
class _Job:
    """What the worker thread needs to judge and spool the files."""

    files_dir: Path | None
    spool: Path
    max_bytes: int
    allowed: list[str]
    copy: bool


@dataclass(frozen=True)
class Wanted:
    """A ZENLIX file to carry, with the ticket and (if any) the comment it belongs to."""

    file: records.File
    ticket: records.Ticket
    comment: records.Comment | None


def _reason(exc: InvalidTicket) -> str:
    message = exc.errors[0].message if exc.errors else exc.detail
    # The name varies per file; the report counts kinds of refusal.
    return "the content does not match the file name" if "not what the name" in message else message


Prepared = tuple[AttachmentRow, Path | None] | str


def _prepare_all(job: _Job, wanted: list[Wanted]) -> list[Prepared]:
    return [_prepare(job, w) for w in wanted]


def _prepare(carrier: _Job, w: Wanted) -> Prepared:
    """The attachment row and its spooled copy, or why the file cannot come (blocking I/O)."""
    if carrier.files_dir is None:
        return "no --files-dir given"
    f = w.file
    path = carrier.files_dir / f.disk_name
    try:
        with path.open("rb") as src:
            size = os.fstat(src.fileno()).st_size
            head = src.read(judge.SNIFF_BYTES)
    except (FileNotFoundError, IsADirectoryError):
        return "missing in the upload directory"
    if size > carrier.max_bytes:
        return f"larger than max_file_bytes ({carrier.max_bytes})"
    try:
        content_type = judge.judge_file(
            f.original_name or f.disk_name, head, carrier.allowed, error=InvalidTicket
        )
    except InvalidTicket as exc:
        return f"refused: {_reason(exc)}"
    spooled = None
    if carrier.copy:
        fd, name = tempfile.mkstemp(dir=carrier.spool, prefix="zenlix-")
        os.close(fd)
        shutil.copyfile(path, name)
        spooled = Path(name)
    row = AttachmentRow(
        id=f.id,
        ticket_id=w.ticket.id,
        storage_key=secrets.token_hex(20),
        filename=(f.original_name or f.disk_name).replace("\\", "/").rsplit("/", 1)[-1][:255],
        content_type=content_type,
        size=size,
        author_id=w.comment.author_id if w.comment else w.ticket.author_id,
        created_at=w.comment.created_at if w.comment else w.ticket.created_at,
        comment_id=w.comment.id if w.comment else None,
    )
    return row, spooled


async def carry(carrier: Carrier, wanted: list[Wanted], tally: Tally) -> list[AttachmentRow]:
    """The attachment rows of the files that could come (their bytes stored); the others
    are counted in ``tally`` with their reason."""
    if not wanted:
        return []
    job = _Job(
        carrier.files_dir, carrier.spool, carrier.max_bytes, carrier.allowed, carrier.blobs is not None
    )
    prepared = await asyncio.to_thread(_prepare_all, job, wanted)
    ready: list[tuple[AttachmentRow, Path | None]] = []
    for outcome in prepared:
        if isinstance(outcome, str):
            tally.skip(outcome)
        else:
            ready.append(outcome)
    blobs = carrier.blobs
    if blobs is not None:
        gate = asyncio.Semaphore(PARALLEL_PUTS)

        async def put(row: AttachmentRow, spooled: Path) -> None:
            async with gate:
                try:
                    await blobs.put(row.storage_key, spooled)  # moves or uploads and removes it
                except BaseException:
                    await asyncio.to_thread(spooled.unlink, missing_ok=True)
                    raise

        await asyncio.gather(*(put(row, spooled) for row, spooled in ready if spooled is not None))
    return [row for row, _ in ready]
