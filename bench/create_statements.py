"""What PostgreSQL spends per created ticket, by the shape of the create's statements.

Starts a stack (durable PostgreSQL, the tickets schema migrated), stops every service, and
has 32 connections create tickets straight in SQL for a few seconds per variant, in
interleaved rounds, printing tickets/s and PostgreSQL's CPU per ticket (its processes'
user + system time). The variants (ADR 0014):

    shared-row    the create as it was: subject read; BEGIN; ticket + history + the day's
                  row of report_days (INSERT … ON CONFLICT DO UPDATE); outbox row + NOTIFY;
                  COMMIT
    appended      the same, the day's count appended to report_day_changes instead
    appended-quiet  the same without the NOTIFY in the transaction
    one-statement the create now: id, time and subject in one round trip; ticket, history,
                  count and outbox row in one statement (its own transaction), no NOTIFY
    lean          BEGIN; a bare ticket row; a bare outbox row; COMMIT (the lean reference's shape)

    .venv/bin/python bench/create_statements.py [--variants a,b,…] [--rounds 2] [--seconds 6]

A benchmark, not a test: it prints figures and asserts nothing.
"""

# ruff: noqa: E501

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psutil

from helpdesk_devstack.stack import Stack
from helpdesk_tickets.store.rows import SEARCH_VECTOR, TICKET_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("shared-row", "appended", "appended-quiet", "one-statement", "lean")
SUBJECT = "SELECT id, name, sla_plan_id FROM subjects WHERE lower(btrim(name)) = lower(btrim($1)) ORDER BY id LIMIT 1"
OUTBOX = (
    "INSERT INTO outbox (msg_id, subject, event_type, payload, headers)"
    " SELECT m, s, t, p, h::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[])"
    " WITH ORDINALITY AS r(m, s, t, p, h, n) ORDER BY n"
)
OUTBOX_NOTIFY = f"WITH e AS ({OUTBOX} RETURNING 1) SELECT pg_notify($6, '') FROM e LIMIT 1"
PAYLOAD = b"x" * 200  # about a TicketCreated's size


def _insert(count: str, *, explicit: bool = False, outbox: bool = False) -> str:
    counts = {
        "shared-row": "INSERT INTO report_days (day, unit_id, subject_id, created)"
        " SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), 1 FROM t"
        " ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET created = report_days.created + 1",
        "appended": "INSERT INTO report_day_changes (day, unit_id, subject_id, created)"
        " SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), 1 FROM t",
    }
    ids = ("id, created_at, updated_at, ", "$19, $20, $20, ") if explicit else ("", "")
    events = (
        ", o AS (INSERT INTO outbox (msg_id, subject, event_type, payload, headers)"
        " SELECT $21::uuid, 'tickets.TicketCreated', 'x', $22::bytea, '{}'::jsonb FROM t)"
        if outbox
        else ""
    )
    return (
        f"WITH t AS (INSERT INTO tickets ({ids[0]}ref, subject, body, priority, unit_id, assignee_ids, author_id,"
        " client_id, source, subject_id, sla_plan_id, deadline, author_unit_ids, client_group_id, custom_fields, search)"
        f" VALUES ({ids[1]}$1, $2, $3, $4, $5, $6::bigint[], $7, $8, $9, $11, $12, $13, $14::bigint[], $15, $16::jsonb,"
        f" {SEARCH_VECTOR.format(s='$17', b='$18')}) RETURNING {TICKET_COLUMNS}),"
        " h AS (INSERT INTO history (ticket_id, actor_id, action, changes) SELECT id, author_id, 'created', $10::jsonb FROM t),"
        f" d AS ({counts[count]}){events} SELECT {TICKET_COLUMNS} FROM t"
    )


def _args() -> list[Any]:
    return [
        secrets.token_urlsafe(16), "Benchmark ticket", "Created by bench/create_statements.py", "normal", 1, [], 1,
        None, "web", orjson.dumps({"state": [None, "new"]}).decode(), None, None, None, [], None, "{}",
        "benchmark ticket", "created by bench/create_statements.py",
    ]  # fmt: skip


async def _create(conn: asyncpg.Connection, variant: str) -> None:
    event = ([uuid.uuid4()], ["tickets.TicketCreated"], ["x"], [PAYLOAD], ["{}"])
    if variant == "lean":
        async with conn.transaction():
            await conn.fetchval(
                "INSERT INTO lean_tickets (subject, body, priority, unit_id) VALUES ($1, $2, $3, $4) RETURNING id",
                "Benchmark ticket", "Created by bench/create_statements.py", "normal", 1,
            )  # fmt: skip
            await conn.execute("INSERT INTO lean_outbox (subject, payload) VALUES ($1, $2)", "lean", PAYLOAD)
        return
    if variant == "one-statement":
        taken = await conn.fetchrow(
            "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id, now() AS at, s.id AS subject_id"
            f" FROM (SELECT 1) one LEFT JOIN ({SUBJECT}) s ON true",
            "Benchmark ticket",
        )
        await conn.fetchrow(
            _insert("appended", explicit=True, outbox=True),
            *_args(),
            taken["id"],
            taken["at"],
            uuid.uuid4(),
            PAYLOAD,
        )
        return
    await conn.fetchrow(SUBJECT, "Benchmark ticket")
    async with conn.transaction():
        await conn.fetchrow(_insert("shared-row" if variant == "shared-row" else "appended"), *_args())
        if variant == "appended-quiet":
            await conn.execute(OUTBOX, *event)
        else:
            await conn.execute(OUTBOX_NOTIFY, *event, "tickets_outbox")


def _postgres_cpu() -> float:
    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            if p.name() == "postgres":
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def _run(pool: asyncpg.Pool, variant: str, seconds: float, clients: int) -> tuple[float, float]:
    done = 0

    async def client() -> None:
        nonlocal done
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            async with pool.acquire() as conn:
                await _create(conn, variant)
            done += 1

    cpu, started = _postgres_cpu(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed, cpu = time.perf_counter() - started, _postgres_cpu() - cpu
    return done / elapsed, cpu * 1000 / max(done, 1)


async def bench(url: str, variants: list[str], rounds: int, seconds: float, clients: int) -> None:
    pool = await asyncpg.create_pool(
        url, min_size=clients, max_size=clients, server_settings={"search_path": "tickets"}
    )
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE lean_tickets (id bigserial PRIMARY KEY, subject text, body text, priority text,"
                " unit_id bigint, created_at timestamptz DEFAULT now());"
                "CREATE TABLE lean_outbox (id bigserial PRIMARY KEY, subject text, payload bytea)"
            )
        await _run(pool, "appended", 2.0, clients)  # warm up
        for r in range(1, rounds + 1):
            for v in variants:
                rate, cpu = await _run(pool, v, seconds, clients)
                print(
                    f"round {r}  {v:<15} {rate:8.1f} tickets/s   PostgreSQL {cpu:.3f} ms CPU per ticket",
                    flush=True,
                )
    finally:
        await pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="bench-statements-") as tmp:
        stack = Stack(
            ROOT / "devstack.toml",
            Path(tmp),
            durable=True,
            env={"HELPDESK_ADMIN_PASSWORD": secrets.token_urlsafe(12)},
        )
        stack.start()
        try:
            for name in ("gateway", "realtime", "mailin", "notify", "portal", "sla", "tickets", "identity"):
                stack.stop_service(name)
            asyncio.run(bench(stack.database_url, variants, args.rounds, args.seconds, args.clients))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
