"""Tickets' ZENLIX import against a generated ZENLIX database (MariaDB) and real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from helpdesk_devstack.testing.zenlix import Source
from helpdesk_kit.db import Database
from helpdesk_tickets import zenlix
from helpdesk_tickets.storage import FileStore
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report

KYIV = ZoneInfo("Europe/Kiev")


def utc(naive: datetime) -> datetime:
    return naive.replace(tzinfo=KYIV).astimezone(UTC)


async def _import(db: Database, source: Source, tmp_path: Path, *, dry_run: bool = False) -> Report:
    store = FileStore(tmp_path / "blobs")
    with Reader(source.url) as reader:
        return await zenlix.import_zenlix(
            db=db,
            reader=reader,
            dry_run=dry_run,
            blobs=store,
            spool=store.spool_dir(),
            files_dir=source.files_dir,
            batch=25,
        )


async def _count(db: Database, sql: str) -> int:
    async with db.unit_of_work() as uow:
        value: int = await uow.conn.fetchval(sql)
        return value


async def test_counts_match_exactly_and_nothing_is_dropped_silently(
    db: Database, zenlix: Source, tmp_path: Path
) -> None:
    e = zenlix.expected
    report = await _import(db, zenlix, tmp_path)
    assert report.balanced()
    assert report["tickets"].imported == e.tickets == await _count(db, "SELECT count(*) FROM tickets")
    assert report["tickets"].skipped_total == e.tickets_rejected
    assert report["comments"].imported == e.comments == await _count(db, "SELECT count(*) FROM comments")
    assert report["comments"].skipped_total == e.comments_rejected
    assert report["history"].imported == e.history == await _count(db, "SELECT count(*) FROM history")
    assert report["history"].skipped_total == e.history_rejected
    assert report["files"].imported == e.files_ok == await _count(db, "SELECT count(*) FROM attachments")
    assert report["files"].skipped_total == e.files_rejected + e.files_unusable
    assert report["tickets"].changed["hash empty or used twice: a new ref"] == 1
    assert await _count(db, "SELECT count(*) FROM outbox") == 0  # nobody hears of the past


async def test_tickets_match_zenlix_field_by_field(db: Database, zenlix: Source, tmp_path: Path) -> None:
    await _import(db, zenlix, tmp_path)
    with zenlix.admin() as mysql, mysql.cursor() as cur:
        cur.execute(
            "SELECT id, hash_name, subj, user_init_id, client_id, unit_id, user_to_id, prio, status, arch,"
            " lock_by, ok_by, date_create, sla_plan_id FROM tickets WHERE id IN (3, 10, 17, 42, 77, 99, 120)"
        )
        theirs = cur.fetchall()
        cur.execute("SELECT hash_name FROM tickets WHERE id = 1")
        [first_hash] = cur.fetchone()
    async with db.unit_of_work() as uow:
        for z in theirs:
            t = await uow.conn.fetchrow("SELECT * FROM tickets WHERE id = $1", z[0])
            assert t["ref"] == z[1] or z[1] == first_hash
            assert t["subject"] == z[2]
            assert (t["author_id"], t["client_id"] or 0, t["unit_id"]) == (z[3], z[4], z[5])
            assert t["assignee_ids"] == [int(i) for i in z[6].split(",") if i != "0"]
            assert t["priority"] == ("low", "normal", "high")[z[7]]
            state = "archived" if z[9] else "done" if z[8] else "in_work" if z[10] else "new"
            assert t["state"] == state
            assert t["locked_by"] == (z[10] if state == "in_work" else None)
            assert t["done_by"] == (z[11] if state in ("done", "archived") else None)
            assert t["created_at"] == utc(z[12])
            assert t["sla_plan_id"] == (z[13] or None)
            assert t["version"] == 1
            assert "<br>" not in t["body"]


async def test_history_keeps_zenlix_times_and_actors(db: Database, zenlix: Source, tmp_path: Path) -> None:
    await _import(db, zenlix, tmp_path)
    with zenlix.admin() as mysql, mysql.cursor() as cur:
        cur.execute("SELECT id, date_op, init_user_id, msg FROM ticket_log WHERE ticket_id = 7 ORDER BY id")
        log = cur.fetchall()
    async with db.unit_of_work() as uow:
        ours = {r["id"]: r for r in await uow.conn.fetch("SELECT * FROM history WHERE ticket_id = 7")}
    actions = {"create": "created", "lock": "locked", "ok": "completed", "arch": "archived"}
    for entry_id, at, actor, code in log:
        assert ours[entry_id]["at"] == utc(at)
        assert ours[entry_id]["actor_id"] == actor
        if code in actions:
            assert ours[entry_id]["action"] == actions[code]


async def test_files_are_copied_into_the_blob_store_byte_for_byte(
    db: Database, zenlix: Source, tmp_path: Path
) -> None:
    report = await _import(db, zenlix, tmp_path)
    assert report["files"].skipped["missing in the upload directory"] == 1
    assert any(reason.startswith("refused:") for reason in report["files"].skipped)
    async with db.unit_of_work() as uow:
        rows = await uow.conn.fetch("SELECT id, storage_key, size, comment_id FROM attachments ORDER BY id")
    with zenlix.admin() as mysql, mysql.cursor() as cur:
        cur.execute("SELECT id, file_hash, file_ext FROM files")
        disk = {r[0]: zenlix.files_dir / f"{r[1]}.{r[2]}" for r in cur.fetchall()}
    store = FileStore(tmp_path / "blobs")
    for row in rows[:10]:
        stored = b"".join([chunk async for chunk in store.read(row["storage_key"])])
        assert hashlib.sha256(stored).digest() == hashlib.sha256(disk[row["id"]].read_bytes()).digest()
        assert len(stored) == row["size"]
    assert any(r["comment_id"] for r in rows) and any(r["comment_id"] is None for r in rows)


async def test_a_dry_run_writes_nothing_and_a_second_run_imports_nothing(
    db: Database, zenlix: Source, tmp_path: Path
) -> None:
    dry = await _import(db, zenlix, tmp_path, dry_run=True)
    assert dry["tickets"].imported == zenlix.expected.tickets
    assert await _count(db, "SELECT count(*) FROM tickets") == 0
    assert not list((tmp_path / "blobs").glob("*/*"))
    await _import(db, zenlix, tmp_path)
    again = await _import(db, zenlix, tmp_path)
    assert again.balanced()
    assert sum(t.imported for t in again.kinds.values()) == 0
    assert again["tickets"].already == zenlix.expected.tickets
    assert again["comments"].already == zenlix.expected.comments
    async with db.unit_of_work() as uow:
        next_id = await uow.conn.fetchval("SELECT nextval(pg_get_serial_sequence('tickets', 'id'))")
    assert next_id > max(zenlix.expected.ticket_ids) + 4


async def test_a_re_run_brings_what_zenlix_got_since(
    db: Database, new_zenlix: Callable[..., Source], tmp_path: Path
) -> None:
    source = new_zenlix(tickets=20, comments=40, users=20, broken=False)
    await _import(db, source, tmp_path)
    with source.admin() as mysql, mysql.cursor() as cur:
        cur.execute(
            "INSERT INTO comments (id, t_id, user_id, comment_text, dt) VALUES (900, 5, 1, %s, NOW())",
            ("Ещё раз".encode(),),  # UTF-8 bytes into the latin1 column, as ZENLIX's PHP did
        )
        cur.execute(
            "INSERT INTO tickets (id, user_init_id, user_to_id, date_create, subj, msg, client_id, unit_id,"
            " hash_name) VALUES (21, 1, '0', NOW(), 'Новая заявка', 'текст', 0, 1, 'fresh-hash')"
        )
    report = await _import(db, source, tmp_path)
    assert (report["tickets"].imported, report["comments"].imported) == (1, 1)
    async with db.unit_of_work() as uow:
        found = await uow.conn.fetchval(
            "SELECT id FROM tickets WHERE search @@ websearch_to_tsquery('russian', 'ещё')"
        )
    assert found == 5
