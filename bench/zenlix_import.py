"""The ZENLIX 2 import at scale: a generated ZENLIX database (default 100,000 tickets,
300,000 comments, 1,000 users, with files on disk and broken rows) in a real MariaDB,
imported by the four services' importers into a durable PostgreSQL, then checked.

    .venv/bin/python bench/zenlix_import.py [--tickets 100000] [--comments 300000] [--users 1000]

Prints the time and rate of each import and of a second run, and checks: the counts
match the generator's exactly; a sample of tickets equals ZENLIX's rows field by field;
their history keeps ZENLIX's times and actors; a legacy MD5 password signs in once and
is then argon2id (the MD5 itself never signs in); the second run imports nothing.
The importers are called in-process, as ``python -m helpdesk_<svc> import-zenlix`` calls them.
"""

# ruff: noqa: E501
from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk_devstack.servers import PostgresServer
from helpdesk_devstack.servers.mariadb import MariaDB
from helpdesk_devstack.zenlix.generator import Expected, generate, password_of
from helpdesk_identity import usecases as identity_usecases
from helpdesk_identity import zenlix as identity_zenlix
from helpdesk_identity.app import MIGRATIONS as IDENTITY_MIGRATIONS
from helpdesk_identity.errors import BadCredentials
from helpdesk_identity.ratelimit import Limiters
from helpdesk_kit.db import Database
from helpdesk_kit.migrations import upgrade
from helpdesk_notify import zenlix as notify_zenlix
from helpdesk_notify.app import MIGRATIONS as NOTIFY_MIGRATIONS
from helpdesk_sla import zenlix as sla_zenlix
from helpdesk_sla.app import MIGRATIONS as SLA_MIGRATIONS
from helpdesk_sla.usecases import Policy
from helpdesk_tickets import zenlix as tickets_zenlix
from helpdesk_tickets.app import MIGRATIONS as TICKETS_MIGRATIONS
from helpdesk_tickets.storage import FileStore
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import Report

KYIV = ZoneInfo("Europe/Kiev")
MIGRATIONS = {
    "identity": IDENTITY_MIGRATIONS,
    "tickets": TICKETS_MIGRATIONS,
    "sla": SLA_MIGRATIONS,
    "notify": NOTIFY_MIGRATIONS,
}


def utc(naive: datetime) -> datetime:
    return naive.replace(tzinfo=KYIV).astimezone(UTC)


class Run:
    def __init__(self, url: str, dbs: dict[str, Database], files_dir: Path, blobs: FileStore) -> None:
        self.url, self.dbs, self.files_dir, self.blobs = url, dbs, files_dir, blobs

    async def one(self, service: str) -> Report:
        with Reader(self.url) as reader:
            db = self.dbs[service]
            if service == "identity":
                return await identity_zenlix.import_zenlix(db=db, reader=reader, dry_run=False)
            if service == "tickets":
                return await tickets_zenlix.import_zenlix(
                    db=db,
                    reader=reader,
                    dry_run=False,
                    blobs=self.blobs,
                    spool=self.blobs.spool_dir(),
                    files_dir=self.files_dir,
                )
            if service == "sla":
                return await sla_zenlix.import_zenlix(db=db, reader=reader, dry_run=False, policy=Policy())
            return await notify_zenlix.import_zenlix(db=db, reader=reader, dry_run=False)

    async def all(self, label: str) -> dict[str, Report]:
        reports = {}
        for service in ("identity", "tickets", "sla", "notify"):
            started = time.monotonic()
            reports[service] = await self.one(service)
            took = time.monotonic() - started
            imported = sum(t.imported for t in reports[service].kinds.values())
            print(f"{label} {service:<9} {took:8.1f} s  {imported:>9} objects imported")
        return reports


def check_counts(reports: dict[str, Report], e: Expected) -> list[str]:
    t = reports["tickets"]
    wanted = {
        "users": (reports["identity"]["users"].imported, e.users),
        "tickets": (t["tickets"].imported, e.tickets),
        "comments": (t["comments"].imported, e.comments),
        "history": (t["history"].imported, e.history),
        "files": (t["files"].imported, e.files_ok),
        "sla tickets": (reports["sla"]["tickets"].imported, e.tickets),
    }
    out = [
        f"{k}: imported {a}, expected {b} -> {'OK' if a == b else 'MISMATCH'}" for k, (a, b) in wanted.items()
    ]
    out += [f"report of {s} balances: {r.balanced()}" for s, r in reports.items()]
    return out


async def check_sample(mariadb: MariaDB, name: str, tickets: Database, e: Expected, n: int) -> list[str]:
    ids = random.Random(7).sample(e.ticket_ids, n)
    bad = checked_fields = history_checked = 0
    with mariadb.admin(name) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, hash_name, subj, user_init_id, client_id, unit_id, user_to_id, prio, status, arch, lock_by,"
            f" ok_by, date_create, sla_plan_id FROM tickets WHERE id IN ({','.join(map(str, ids))})"
        )
        theirs = cur.fetchall()
        cur.execute(
            f"SELECT id, ticket_id, date_op, init_user_id FROM ticket_log WHERE ticket_id IN ({','.join(map(str, ids))})"
        )
        log = cur.fetchall()
        cur.execute("SELECT hash_name FROM tickets WHERE id = 1")
        first_hash = cur.fetchone()[0]
    async with tickets.unit_of_work() as uow:
        ours = {
            r["id"]: r
            for r in await uow.conn.fetch("SELECT * FROM tickets WHERE id = ANY($1::bigint[])", ids)
        }
        history = {
            r["id"]: r
            for r in await uow.conn.fetch("SELECT * FROM history WHERE ticket_id = ANY($1::bigint[])", ids)
        }
    for z in theirs:
        t = ours[z[0]]
        state = "archived" if z[9] else "done" if z[8] else "in_work" if z[10] else "new"
        pairs = [
            (t["ref"], z[1]),
            (t["subject"], z[2]),
            (t["author_id"], z[3]),
            (t["client_id"] or 0, z[4]),
            (t["unit_id"], z[5]),
            (t["assignee_ids"], [int(i) for i in z[6].split(",") if i != "0"]),
            (t["priority"], ("low", "normal", "high")[z[7]]),
            (t["state"], state),
            (t["locked_by"], z[10] if state == "in_work" else None),
            (t["done_by"], z[11] if state in ("done", "archived") else None),
            (t["created_at"], utc(z[12])),
            (t["sla_plan_id"], z[13] or None),
        ]
        checked_fields += len(pairs)
        # The one ticket whose hash repeats ticket 1's gets a new ref (counted in the report).
        bad += sum(1 for a, b in pairs if a != b and not (b == z[1] and z[1] == first_hash))
    for entry_id, _, at, actor in log:
        h = history.get(entry_id)
        history_checked += 1
        if h is None or h["at"] != utc(at) or h["actor_id"] != actor:
            bad += 1
    return [
        f"sample: {len(theirs)} tickets, {checked_fields} fields compared, {history_checked} history entries"
        f" (time and actor) compared, {bad} differences"
    ]


async def check_password(identity: Database) -> list[str]:
    await identity_usecases.ensure_signing_key(db=identity)
    async with identity.unit_of_work() as uow:
        row = await uow.conn.fetchrow(
            "SELECT id, login, password_hash FROM users WHERE password_hash LIKE 'legacy-md5$%' AND is_active ORDER BY id LIMIT 1"
        )
    md5_hex = hashlib.md5(password_of(row["id"]).encode()).hexdigest()

    async def login(password: str) -> bool:
        try:
            await identity_usecases.login(
                db=identity,
                limiters=Limiters.none(),
                login=row["login"],
                password=password,
                access_ttl=900,
                refresh_ttl=3600,
            )
        except BadCredentials:
            return False
        return True

    by_hash = await login(md5_hex)
    first = await login(password_of(row["id"]))
    async with identity.unit_of_work() as uow:
        after = await uow.conn.fetchval("SELECT password_hash FROM users WHERE id = $1", row["id"])
    second = await login(password_of(row["id"]))
    return [
        f"legacy MD5 user {row['login']}: the MD5 itself signs in: {by_hash}; password signs in: {first};"
        f" stored after: {after[:10]}...; signs in again: {second}; MD5 left: {md5_hex in after}"
    ]


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="zenlix-bench-"))
    pg = PostgresServer(work / "pg", durable=True)
    pg.start()
    mariadb = MariaDB()
    mariadb.start()
    try:
        name = "zenlix"
        url = mariadb.create_database(name)
        files_dir = work / "upload_files"
        files_dir.mkdir()
        started = time.monotonic()
        with mariadb.admin(name) as conn:
            expected = generate(
                conn,
                tickets=args.tickets,
                comments=args.comments,
                users=args.users,
                files_dir=files_dir,
                seed=2,
            )
        print(
            f"generated ZENLIX: {args.tickets} tickets, {args.comments} comments, {args.users} users,"
            f" {expected.history} log rows, {expected.files_ok} good files in {time.monotonic() - started:.1f} s"
        )
        db_url = pg.create_database("helpdesk_import")
        dbs = {}
        for service, migrations in MIGRATIONS.items():
            await upgrade(database_url=db_url, schema=service, script_location=migrations)
            dbs[service] = Database(db_url, schema=service, pool_size=3)
            await dbs[service].connect()
        await identity_usecases.bootstrap_admin(db=dbs["identity"], password="bench-admin-password")
        run = Run(url, dbs, files_dir, FileStore(work / "blobs"))
        started = time.monotonic()
        first = await run.all("first run ")
        total = time.monotonic() - started
        objects = sum(t.imported for r in first.values() for t in r.kinds.values())
        print(
            f"first run: {total:.1f} s for {objects} objects ({objects / total:.0f} objects/s;"
            f" {first['tickets']['tickets'].imported / total:.0f} tickets/s over the whole import)"
        )
        for report in first.values():
            print(report.render())
        for line in check_counts(first, expected):
            print(line)
        for line in await check_sample(mariadb, name, dbs["tickets"], expected, args.sample):
            print(line)
        for line in await check_password(dbs["identity"]):
            print(line)
        started = time.monotonic()
        second = await run.all("second run")
        again = sum(t.imported for r in second.values() for t in r.kinds.values())
        print(f"second run: {time.monotonic() - started:.1f} s, {again} objects imported")
        for db in dbs.values():
            await db.close()
    finally:
        mariadb.stop()
        pg.destroy()


def _args() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=300_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=500)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_args()))
