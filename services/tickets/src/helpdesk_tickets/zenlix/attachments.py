"""ZENLIX's files (``<upload dir>/<file_hash>.<ext>``) → tickets' blob store, checked like uploads.

Each file is judged as an upload is (size limit, type sniffed from the content and in
agreement with the name, allowed types from the settings) and copied into the same
store uploads use. A file the disk lost or the checks refuse is counted, not fatal.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpdesk_tickets import files as judge
from helpdesk_tickets.errors import InvalidTicket
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.zenlix_store import AttachmentRow
from helpdesk_zenlix import records
from helpdesk_zenlix.report import Tally


@dataclass(frozen=True)
class Carrier:
    """Where files come from and go, and the limits they must keep."""

    files_dir: Path | None
    blobs: BlobStore | None  # None: a dry run (judge only, copy nothing)
    spool: Path
    max_bytes: int
    allowed: list[str]


def _read_head(path: Path) -> tuple[int, bytes] | None:
    try:
        with path.open("rb") as f:
            return os.fstat(f.fileno()).st_size, f.read(judge.SNIFF_BYTES)
    except FileNotFoundError:
        return None


def _spool_copy(src: Path, spool: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=spool, prefix="zenlix-")
    os.close(fd)
    shutil.copyfile(src, name)
    return Path(name)


async def carry(
    carrier: Carrier,
    f: records.File,
    *,
    ticket: records.Ticket,
    comment: records.Comment | None,
    tally: Tally,
) -> AttachmentRow | None:
    """The attachment row for a ZENLIX file (its bytes stored), or None with the reason counted."""
    if carrier.files_dir is None:
        tally.skip("no --files-dir given")
        return None
    path = carrier.files_dir / f.disk_name
    found = await asyncio.to_thread(_read_head, path)
    if found is None:
        tally.skip("missing in the upload directory")
        return None
    size, head = found
    if size > carrier.max_bytes:
        tally.skip(f"larger than max_file_bytes ({carrier.max_bytes})")
        return None
    try:
        content_type = judge.judge_file(f.original_name or f.disk_name, head, carrier.allowed)
    except InvalidTicket as exc:
        tally.skip(f"refused: {_reason(exc)}")
        return None
    key = secrets.token_hex(20)
    if carrier.blobs is not None:
        tmp = await asyncio.to_thread(_spool_copy, path, carrier.spool)
        try:
            await carrier.blobs.put(key, tmp)
        finally:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)
    name = (f.original_name or f.disk_name).replace("\\", "/").rsplit("/", 1)[-1][:255]
    return AttachmentRow(
        id=f.id,
        ticket_id=ticket.id,
        storage_key=key,
        filename=name,
        content_type=content_type,
        size=size,
        author_id=comment.author_id if comment else ticket.author_id,
        created_at=comment.created_at if comment else ticket.created_at,
        comment_id=comment.id if comment else None,
    )


def _reason(exc: InvalidTicket) -> str:
    message = exc.errors[0].message if exc.errors else exc.detail
    # The name varies per file; the report counts kinds of refusal.
    return "the content does not match the file name" if "not what the name" in message else message
