"""Mail intake throughput: mail ingested per second from a mailbox holding 10,000 messages.

Starts its own stack (every service a process, durable PostgreSQL, as ``make run``) and a
throwaway dovecot (Debian's ``dovecot-imapd``), creates a unit with one member and
``--senders`` client accounts, fills one IMAP mailbox with ``--messages`` plain mails from
them (IMAP APPEND, before mailin knows the mailbox), then creates the mailbox through the
REST API and times mailin until it has filed every mail (the mailbox's counters), sampling
every second.

Why the whole stack and not mailin with a fake tickets: a mail is ingested only when tickets
holds its ticket, and each one costs mailin (IMAP FETCH, parsing, its record and rate query,
the outcome, the flag), identity (who holds the address, the sender's passport), tickets
(ticket + history + outbox in one transaction) and PostgreSQL — and every new ticket's
fan-out (sla's clocks, notify's pop-up for the member) runs on the same two cores, as on a
one-machine install. One mailbox is read by one poller, mail after mail.

``HELPDESK_MAILIN_PER_SENDER_PER_HOUR=0``: the per-sender limit (30 an hour) would drop most
of the mail; its query still runs for every mail.

    .venv/bin/python bench/mailin_ingest.py                       # 10,000 mails, 200 senders
    .venv/bin/python bench/mailin_ingest.py --messages 500

Prints the fill rate, the time to the first ticket, mails/s overall and per 30 s window, the
tickets counted in PostgreSQL (lost, twice) and the CPU each process spent per mail.
A benchmark, not a test: it asserts nothing and is never run by ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import httpx
import psutil

from helpdesk_devstack.servers.dovecot import HOST, Dovecot
from helpdesk_devstack.stack import Stack

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("mailin", "identity", "tickets", "sla", "notify", "realtime", "gateway")


def mail(n: int, sender: str, to: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"Client {n % 1000} <{sender}>"
    m["To"] = to
    m["Subject"] = f"Bench request {n}: the printer in room {n % 400} jams"
    m["Message-ID"] = f"<bench-{n}-{secrets.token_hex(4)}@client.example>"
    m["Date"] = "Thu, 03 Dec 2026 10:00:00 +0000"
    m.set_content(f"Hello,\n\nrequest {n}: paper jams on every page since Monday.\n\nThanks,\nClient\n")
    return m.as_bytes()


def fill(dovecot: Dovecot, login: str, senders: list[str], count: int, connections: int = 4) -> float:
    """APPENDs ``count`` mails over ``connections`` IMAP connections; returns the seconds it took."""

    def part(first: int) -> None:
        with dovecot.client(login) as c:
            for n in range(first, count, connections):
                c.append("INBOX", mail(n, senders[n % len(senders)], login))

    began = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(part, range(connections)))
    return time.monotonic() - began


def processes() -> dict[str, list[psutil.Process]]:
    """This run's processes by role (only our descendants: other stacks on the machine are not ours)."""
    found: dict[str, list[psutil.Process]] = {}
    for p in psutil.Process().children(recursive=True):
        try:
            cmd, name = " ".join(p.cmdline()), p.name()
        except psutil.Error:
            continue
        role = next((r for r in ROLES if f"helpdesk_{r} serve" in cmd), None)
        if name == "postgres":
            role = "postgres"
        elif "nats-server" in cmd:
            role = "nats"
        elif "dovecot" in cmd or name in ("imap", "imap-login", "auth"):
            role = "dovecot"
        if role:
            found.setdefault(role, []).append(p)
    return found


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) each process has spent so far, by pid, with its role."""
    out: dict[int, tuple[str, float]] = {}
    for role, ps in procs.items():
        for p in ps:
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[p.pid] = (role, t.user + t.system)
    return out


def cpu_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per role between two looks; a process born in between (dovecot's
    ``imap`` for the poller's connection) counts from zero."""
    out: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        out[role] = out.get(role, 0.0) + seconds - before.get(pid, (role, 0.0))[1]
    return out


def prepare(api: httpx.Client, senders: int) -> tuple[int, list[str]]:
    """A unit with one member (he gets the pop-ups) and client accounts that send the mail."""
    unit = api.post("/api/v1/units", json={"name": "Bench mail"}).json()["id"]
    member = {"login": "bench-member", "full_name": "Bench Member", "kind": "staff", "role": "unit_member"}
    api.post("/api/v1/users", json=member | {"unit_ids": [unit]}).raise_for_status()
    addresses = []
    for i in range(senders):
        address = f"client{i}@client.example"
        body = {"login": f"client{i}", "full_name": f"Client {i}", "kind": "client", "email": address}
        api.post("/api/v1/users", json=body).raise_for_status()
        addresses.append(address)
    return unit, addresses


async def tickets_by_subject(database_url: str) -> tuple[int, int]:
    """(tickets, distinct subjects) of the bench's mail, as tickets stored them."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT subject) AS d FROM tickets.tickets"
            " WHERE subject LIKE 'Bench request %'"
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["n"]), int(row["d"])


def run(messages: int, senders: int, timeout: float) -> None:
    password = secrets.token_urlsafe(12)
    with Dovecot() as dovecot, tempfile.TemporaryDirectory(prefix="bench-mailin-") as tmp:
        env = {
            "HELPDESK_ADMIN_PASSWORD": password,
            "HELPDESK_MAILIN_CA_FILE": str(dovecot.ca_file),
            "HELPDESK_MAILIN_PER_SENDER_PER_HOUR": "0",
            "HELPDESK_LOG_LEVEL": "WARNING",
        }
        with Stack(ROOT / "devstack.toml", Path(tmp), durable=True, env=env, ready_timeout=300) as stack:
            with httpx.Client(base_url=stack.gateway_url, timeout=60) as api:
                token = api.post("/api/v1/auth/login", json={"login": "system", "password": password})
                api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
                unit, addresses = prepare(api, senders)
                login = "helpdesk@desk.example"
                dovecot.add_user(login, "imap-pw")
                filled = fill(dovecot, login, addresses, messages)
                print(f"filled {messages} mails in {filled:.1f} s ({messages / filled:.0f}/s, 4 connections)")
                cpu_before = cpu_seconds(processes())
                load_before = os.getloadavg()
                box = {"name": "Bench", "host": HOST, "port": dovecot.tls_port, "security": "tls"}
                box |= {"login": login, "password": "imap-pw", "unit_id": unit}
                began = time.monotonic()
                mailbox_id = api.post("/api/v1/mailboxes", json=box).json()["id"]
                samples: list[tuple[float, int]] = []
                done = 0
                while done < messages and time.monotonic() - began < timeout:
                    time.sleep(1.0)
                    stats = api.get(f"/api/v1/mailboxes/{mailbox_id}").json()["stats"]
                    done = sum(stats[k] for k in ("ingested", "replies", "dropped", "refused", "quarantined"))
                    samples.append((time.monotonic() - began, done))
                # Looked for again: processes started meanwhile count too.
                cpu_after = cpu_seconds(processes())
            tickets, distinct = asyncio.run(tickets_by_subject(stack.database_url))
    report(messages, samples, stats, tickets, distinct, cpu_spent(cpu_before, cpu_after), load_before)


def report(
    messages: int,
    samples: list[tuple[float, int]],
    stats: dict[str, int],
    tickets: int,
    distinct: int,
    cpu: dict[str, float],
    load_before: tuple[float, float, float],
) -> None:
    elapsed, done = samples[-1]
    first = next((t for t, n in samples if n > 0), float("nan"))
    print(f"first ticket after {first:.1f} s (includes the supervisor's look for new mailboxes, <= 5 s)")
    print(f"processed {done}/{messages} in {elapsed:.1f} s: {done / elapsed:.1f} mails/s overall")
    if done > 0 and elapsed > first:
        print(f"  from the first ticket on: {(done - 1) / (elapsed - first):.1f} mails/s")
    print("  per 30 s window:", end="")
    mark = (0.0, 0)
    for t, n in samples:
        if t - mark[0] >= 30:
            print(f" {(n - mark[1]) / (t - mark[0]):.1f}", end="")
            mark = (t, n)
    print()
    counted = {k: stats[k] for k in ("ingested", "replies", "dropped", "refused", "quarantined")}
    print(f"mailbox counters: {counted}; last error: {stats['last_error']!r}")
    lost, twice = messages - distinct, tickets - distinct
    print(f"tickets in PostgreSQL: {tickets} ({distinct} distinct): {lost} lost, {twice} twice")
    print(f"load average before: {load_before[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
    print(f"CPU per mail (ms), {done} mails:")
    total = 0.0
    for role in sorted(cpu, key=lambda r: cpu[r], reverse=True):
        ms = cpu[role] * 1000 / max(done, 1)
        total += ms
        print(f"  {role:<10} {ms:6.2f}")
    print(f"  {'total':<10} {total:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000, help="mails in the mailbox")
    parser.add_argument("--senders", type=int, default=200, help="client accounts the mail comes from")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    args = parser.parse_args()
    run(args.messages, args.senders, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
