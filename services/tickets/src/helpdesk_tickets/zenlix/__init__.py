"""Tickets' part of the ZENLIX 2 import: subjects, tickets, comments, history and files.

ZENLIX's ids are kept (ticket id = our id and number, comment, log row and file ids
too), so sla and a re-run agree on them without asking. Tickets come in batches, one
transaction each (COPY, no outbox events: nobody is notified of the past); a re-run
imports only what is not marked yet, e.g. comments added in ZENLIX since. A ticket's
comments, history and files are imported with it; files are copied into the blob
store before the batch commits (and deleted again if it does not).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from helpdesk_kit import imports
from helpdesk_kit.db import Database
from helpdesk_tickets import store
from helpdesk_tickets.storage import BlobStore
from helpdesk_tickets.store import zenlix as zs
from helpdesk_tickets.usecases import DEFAULT_SETTINGS
from helpdesk_tickets.zenlix.attachments import Carrier, Wanted, carry
from helpdesk_tickets.zenlix.rows import People, comment_row, history_rows, ticket_row
from helpdesk_zenlix import records
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import ImportRefused, Report

SOURCE = zs.SOURCE
# ZENLIX table → (our kind of mark, our table).
_KINDS = {
    "tickets": ("ticket", "tickets"),
    "comments": ("comment", "comments"),
    "ticket_log": ("history", "history"),
    "files": ("file", "attachments"),
}
_REPORT_KIND = {"comment": "comments", "history": "history", "file": "files"}


@dataclass
class _Run:
    report: Report
    marks: dict[str, set[int]]
    people: People
    subject_ids: dict[str, int]
    carrier: Carrier
    refs_seen: set[str] = field(default_factory=set)


async def import_zenlix(
    *,
    db: Database,
    reader: Reader,
    dry_run: bool,
    blobs: BlobStore,
    spool: Path,
    files_dir: Path | None,
    batch: int = 1000,
) -> Report:
    started = time.monotonic()
    report = Report("tickets", dry_run)
    for kind in ("subjects", "tickets", "comments", "history", "files"):
        report[kind]
    users, _ = await asyncio.to_thread(reader.users)
    deps = await asyncio.to_thread(reader.departments)
    groups = await asyncio.to_thread(reader.client_groups)
    subjects = await asyncio.to_thread(reader.subjects)
    ids = {table: await asyncio.to_thread(reader.ids, table) for table in _KINDS}
    async with db.unit_of_work() as uow:
        await _refuse_strangers(uow.conn, ids, subjects)
        marks = {kind: await imports.marked(uow.conn, SOURCE, kind) for kind, _ in _KINDS.values()}
        settings = {**DEFAULT_SETTINGS, **(await store.settings_section(uow.conn, "tickets") or {})}
        subject_ids = await _subjects(uow.conn, subjects, report)
        if not dry_run:
            await uow.commit()
    run = _Run(
        report=report,
        marks=marks,
        people=People.of(users, {d.id for d in deps}, {g.id for g in groups}),
        subject_ids=subject_ids,
        carrier=Carrier(
            files_dir=files_dir,
            blobs=None if dry_run else blobs,
            spool=spool,
            max_bytes=int(settings["max_file_bytes"]),
            allowed=list(settings["allowed_types"]),
        ),
    )
    await _stream(db, reader.bundles(batch), run, dry_run)
    if not dry_run:
        async with db.unit_of_work() as uow:
            for zenlix_table, (_, table) in _KINDS.items():
                await imports.advance_sequence(uow.conn, table, max(ids[zenlix_table], default=1))
            await imports.advance_sequence(uow.conn, "subjects", max((s.id for s in subjects), default=1))
            await uow.commit()
    report.seconds = time.monotonic() - started
    return report


async def _refuse_strangers(
    conn: asyncpg.Connection, ids: dict[str, list[int]], subjects: list[records.Named]
) -> None:
    problems: list[str] = []
    for table, (kind, ours) in _KINDS.items():
        problems += [
            f"{ours} id {i} is taken here"
            for i in await imports.strangers(conn, SOURCE, kind, ours, ids[table])
        ]
    taken = await imports.strangers(conn, SOURCE, "subject", "subjects", [s.id for s in subjects])
    problems += [f"subjects id {i} is taken here" for i in taken]
    if problems:
        raise ImportRefused("tickets", problems)


async def _subjects(
    conn: asyncpg.Connection, subjects: list[records.Named], report: Report
) -> dict[str, int]:
    """Imports ZENLIX's subject list; returns name (lower-cased) → id for the tickets."""
    tally = report["subjects"]
    tally.read = len(subjects)
    done = await imports.marked(conn, SOURCE, "subject")
    names = await zs.subject_names(conn)
    new: list[tuple[int, str]] = []
    by_name: dict[str, int] = {}
    for s in subjects:
        if s.id in done:
            tally.already += 1
            by_name.setdefault(s.name.lower(), s.id)
        elif not s.name or s.name in names:
            tally.skip("empty or its name is taken")
        else:
            names.add(s.name)
            new.append((s.id, s.name[:200]))
            by_name.setdefault(s.name.lower(), s.id)
    await zs.insert_subjects(conn, new)
    await imports.mark(conn, SOURCE, "subject", [i for i, _ in new])
    tally.imported = len(new)
    return by_name


async def _stream(db: Database, bundles: Iterator[list[records.Bundle]], run: _Run, dry_run: bool) -> None:
    """Reads the next batch from ZENLIX while the current one is written."""
    pending: asyncio.Future[Any] = asyncio.ensure_future(asyncio.to_thread(next, bundles, None))
    while (chunk := await pending) is not None:
        pending = asyncio.ensure_future(asyncio.to_thread(next, bundles, None))
        await _batch(db, chunk, run, dry_run)


@dataclass
class _Batch:
    tickets: list[zs.TicketRow] = field(default_factory=list)
    comments: list[zs.CommentRow] = field(default_factory=list)
    history: list[zs.HistoryRow] = field(default_factory=list)
    attachments: list[zs.AttachmentRow] = field(default_factory=list)
    words: list[tuple[int, str]] = field(default_factory=list)  # comments on earlier imports
    wanted: list[Wanted] = field(default_factory=list)
    file_only: list[records.Comment] = field(default_factory=list)  # comments that are only files


async def _batch(db: Database, chunk: list[records.Bundle], run: _Run, dry_run: bool) -> None:
    r = run.report
    out = _Batch()
    live = [b for b in chunk if _account(b, r)]
    async with db.unit_of_work() as uow:
        candidates = [
            b.ticket.ref for b in live if b.ticket and b.id not in run.marks["ticket"] and b.ticket.ref
        ]
        taken = await zs.refs_taken(uow.conn, candidates) | run.refs_seen
        try:
            for b in live:
                _bundle(b, run, out, taken)
            out.attachments = await carry(run.carrier, out.wanted, r["files"])
            carried = {w.file.file_hash for w in out.wanted if w.file.id in {a.id for a in out.attachments}}
            for c in out.file_only:
                if not carried.intersection(c.file_hashes):
                    r["comments"].change("only files, none carried over: an empty comment")
            await zs.insert_tickets(uow.conn, out.tickets)
            await zs.insert_comments(uow.conn, out.comments)
            await zs.insert_history(uow.conn, out.history)
            await zs.insert_attachments(uow.conn, out.attachments)
            await zs.add_comment_words(uow.conn, out.words)
            for kind, rows in (
                ("ticket", out.tickets),
                ("comment", out.comments),
                ("history", out.history),
                ("file", out.attachments),
            ):
                await imports.mark(uow.conn, SOURCE, kind, [row.id for row in rows])
            if not dry_run:
                await uow.commit()
        except BaseException:
            if run.carrier.blobs is not None:
                for a in out.attachments:
                    await run.carrier.blobs.delete(a.storage_key)
            raise
    r["tickets"].imported += len(out.tickets)
    r["comments"].imported += len(out.comments)
    r["history"].imported += len(out.history)
    r["files"].imported += len(out.attachments)
    run.refs_seen.update(t.ref for t in out.tickets)


def _account(b: records.Bundle, r: Report) -> bool:
    """Counts what cannot be imported; True when the bundle holds a ticket."""
    for kind, _, reason in b.rejected:
        tally = r[_REPORT_KIND[kind]]
        tally.read += 1
        tally.skip(reason)
    if b.ticket is None:
        if b.problem:
            r["tickets"].read += 1
            r["tickets"].skip(b.problem)
        return False
    r["tickets"].read += 1
    r["comments"].read += len(b.comments)
    r["history"].read += len(b.log)
    r["files"].read += len(b.files)
    return True


def _bundle(b: records.Bundle, run: _Run, out: _Batch, taken: set[str]) -> None:
    t = b.ticket
    assert t is not None
    r, marks = run.report, run.marks
    comments = [c for c in b.comments if c.id not in marks["comment"]]
    r["comments"].already += len(b.comments) - len(comments)
    rows = [comment_row(c, r["comments"]) for c in comments]
    history = [h for h in history_rows(b.log, b.comments) if h.id not in marks["history"]]
    r["history"].already += len(b.log) - len(history)
    if t.id in marks["ticket"]:
        r["tickets"].already += 1
        if rows:
            out.words.append((t.id, store.search_text(" ".join(c.search for c in rows))))
    else:
        row = ticket_row(
            t,
            rows,
            people=run.people,
            subject_ids=run.subject_ids,
            ref_free=t.ref not in taken,
            tally=r["tickets"],
        )
        taken.add(row.ref)
        out.tickets.append(row)
    out.comments += rows
    out.history += history
    on_comment = {h: c for c in b.comments for h in c.file_hashes}
    for f in b.files:
        if f.id in marks["file"]:
            r["files"].already += 1
        else:
            out.wanted.append(Wanted(file=f, ticket=t, comment=on_comment.get(f.file_hash)))
    out.file_only += [c for c in comments if not c.body]
