"""Generates a realistic ZENLIX 2 database: the tests' small one and the benchmark's 100,000 tickets.

Everything ZENLIX does is there: staff and clients in one table with MD5 passwords,
CSV unit and assignee lists, ``priv`` numbers, client groups with leads, every ticket
state with the log rows that led to it, comments with ``[file:…]`` markers and the
files on disk, SLA plans, notification preferences, and, with ``broken=True``, the rows
a real installation collects (no department, unknown author, zero dates, orphans,
unknown log codes, duplicate hashes, bad logins). ``comments.comment_text`` is declared
latin1 but holds UTF-8 bytes, the most common charset accident.

``Expected`` tells how many rows of each kind are importable, so a test can compare
the import's counts exactly.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pymysql

from helpdesk_devstack.zenlix import texts

ZERO_DATE = "0000-00-00 00:00:00"
MISSING_USER = 99_999
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DEPARTMENTS = 6  # ids 1..6; the last is hidden
GROUPS = 6
PLANS = 3


def password_of(user_id: int) -> str:
    """The plain password of a generated user (its MD5 is in ``users.pass``)."""
    return f"secret-{user_id}"


def md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()


@dataclass
class Expected:
    """Rows the importers must bring over (the rest are skipped with a reason)."""

    users: int = 0
    users_rejected: int = 0
    tickets: int = 0
    tickets_rejected: int = 0
    comments: int = 0
    comments_rejected: int = 0
    history: int = 0
    history_rejected: int = 0
    files_ok: int = 0  # on disk and acceptable
    files_rejected: int = 0  # not importable whatever the disk holds
    files_unusable: int = 0  # missing on disk or refused by the type/size check
    notify_prefs: int = 0
    staff_ids: list[int] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    ticket_ids: list[int] = field(default_factory=list)


class _Db:
    def __init__(self, conn: pymysql.connections.Connection[Any]) -> None:
        self.cur = conn.cursor()
        # ZENLIX ran without strict modes: zero dates and odd values are accepted.
        self.cur.execute("SET SESSION sql_mode = ''")

    def insert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join(["%s"] * len(columns.split(",")))
        for i in range(0, len(rows), 2000):
            self.cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows[i : i + 2000])


class Generator:
    def __init__(self, *, seed: int, files_dir: Path | None) -> None:
        self.rng = random.Random(seed)
        self.files_dir = files_dir
        self.now = datetime(2026, 11, 1, 12, 0, 0)
        self.e = Expected()
        self.staff_units: dict[int, list[int]] = {}
        self.tickets: list[tuple[Any, ...]] = []
        self.comments: list[tuple[Any, ...]] = []
        self.log: list[tuple[Any, ...]] = []
        self.files: list[tuple[Any, ...]] = []
        self._file_id = 0

    # -- organisation and people ------------------------------------------------------

    def organisation(self, db: _Db) -> None:
        db.insert(
            "perf",
            "param, value",
            [("time_zone", "Europe/Kiev"), ("sla_system", "true"), ("lang_def", "ru"), ("days2arch", "3")],
        )
        deps = [
            (i, texts.DEPARTMENTS[i - 1], 0 if i == DEPARTMENTS else 1) for i in range(1, DEPARTMENTS + 1)
        ]
        db.insert("deps", "id, name, status", deps)
        db.insert("posada", "id, name", [(i + 1, n) for i, n in enumerate(texts.POSITIONS)])
        db.insert("subj", "id, name", [(i + 1, n) for i, n in enumerate(texts.SUBJECTS)])
        plans = [
            (1, "Стандарт", 3600, 1800, 7200, 8 * 3600, 4 * 3600, 16 * 3600, 3 * 86400, 86400, 5 * 86400),
            (2, "VIP", 900, 600, 1800, 2 * 3600, 3600, 4 * 3600, 86400, 43200, 2 * 86400),
            (3, "Without work time", 7200, 3600, 0, 0, 0, 0, 5 * 86400, 2 * 86400, 0),
        ]
        db.insert(
            "sla_plans",
            "id, name, reaction_time_def, reaction_time_high_prio, reaction_time_low_prio, work_time_def,"
            " work_time_high_prio, work_time_low_prio, deadline_time_def, deadline_time_high_prio,"
            " deadline_time_low_prio",
            plans,
        )

    def people(self, db: _Db, count: int, broken: bool) -> None:
        rows: list[tuple[Any, ...]] = []
        rows.append(self._user(1, "system", "System Account", staff=True, priv=2, units="1,2,3", admin=8))
        self.e.staff_ids.append(1)
        self.staff_units[1] = [1, 2, 3]
        staff_count = max(8, count * 3 // 10)
        group_leads: dict[int, int] = {}
        for uid in range(2, count + 1):
            if uid <= staff_count:
                units = self.rng.sample(range(1, DEPARTMENTS), self.rng.choice((1, 1, 2)))
                priv = self.rng.choices((2, 0, 1), weights=(5, 15, 80))[0]
                self.staff_units[uid] = units
                self.e.staff_ids.append(uid)
                admin = 8 if uid == 2 else self.rng.choice((0, 0, 0, 1))
                rows.append(
                    self._user(uid, f"staff{uid}", texts.person(self.rng), True, priv, _csv(units), admin)
                )
            else:
                group = self.rng.randint(1, GROUPS) if self.rng.random() < 0.85 else None
                row = self._user(uid, f"client{uid}", texts.person(self.rng), False, 1, "0", 0, group)
                rows.append(row)
                self.e.client_ids.append(uid)
                if group is not None:
                    group_leads.setdefault(group, uid)
        if broken:
            rows += self._odd_users(count)
        self.e.users = len(rows) - (1 if broken else 0)
        self.e.users_rejected = 1 if broken else 0
        db.insert("users", _USER_COLUMNS, rows)
        groups = [
            (g, texts.COMPANIES[g - 1], 1 if g != GROUPS else 0, group_leads.get(g))
            for g in range(1, GROUPS + 1)
        ]
        if broken:  # a group whose "lead" is a staff member (only clients lead groups)
            groups[0] = (1, groups[0][1], 1, 2)
        db.insert("units", "id, name, status, main_user", groups)
        notify = []
        for uid in self.rng.sample(self.e.staff_ids + self.e.client_ids, len(rows) * 2 // 5):
            mail = ",".join(self.rng.sample(_MAIL_EVENTS, self.rng.randint(0, 4)))
            notify.append((uid, mail, "", "ticket_ok" if self.rng.random() < 0.2 else ""))
        db.insert("users_notify", "user_id, mail, pb, sms", notify)
        self.e.notify_prefs = len(notify)

    def _user(
        self,
        uid: int,
        login: str,
        fio: str,
        staff: bool,
        priv: int,
        units: str,
        admin: int,
        group: int | None = None,
    ) -> tuple[Any, ...]:
        r = self.rng.random()
        status = 1 if r < 0.9 or uid <= 2 else (0 if r < 0.96 else 2)
        ldap = 1 if staff and uid > 2 and self.rng.random() < 0.05 else 0
        email = f"{login}@example.com" if self.rng.random() < 0.9 else ""
        lang = self.rng.choice(("ru", "ru", "en", "ua"))
        unit_desc = str(group) if group is not None else ("ООО Рога и копыта" if not staff else "")
        pb = f"{login}@pushbullet.example" if self.rng.random() < 0.1 else ""
        return (
            uid,
            fio,
            login,
            md5(password_of(uid)) if not ldap else md5(f"ldap-{self.rng.random()}"),
            status,
            priv,
            units,
            admin,
            0 if staff else 1,
            email,
            lang,
            ldap,
            pb,
            self.rng.choice([*texts.POSITIONS, "старший помощник"]),
            f"+380 44 {uid:07d}",
            unit_desc,
            md5(f"uniq{uid}"),
            self.now - timedelta(days=self.rng.randint(0, 30)),
        )

    def _odd_users(self, count: int) -> list[tuple[Any, ...]]:
        base = count + 1
        # UTF-8 read as MySQL's latin1 (cp1252, its five holes kept as U+0081...) and stored again.
        mojibake = "".join(
            chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
            for b in "Гончаренко Олена".encode()
        )
        odd = [
            self._user(base, "Иванов", "Иванов Иван", True, 1, "1", 0),  # a login we do not allow
            self._user(base + 1, "Staff2", "Duplicate Login", True, 1, "2,abc", 0),  # staff2 in other case
            self._user(base + 2, "moji", mojibake, True, 7, "1", 0),  # double-encoded name, unknown priv
            self._user(base + 3, "bademail", "Bad Mail", False, 1, "0", 0, 3),
            self._user(base + 4, "", "No Login", False, 1, "0", 0),  # rejected
        ]
        bad_mail = list(odd[3])
        bad_mail[9] = "not-an-email"
        odd[3] = tuple(bad_mail)
        for row in odd[:3]:
            self.staff_units[row[0]] = [1]
            self.e.staff_ids.append(row[0])
        self.e.client_ids.append(base + 3)
        return odd

    # -- tickets ----------------------------------------------------------------------

    def ticket(self, tid: int) -> None:
        rng = self.rng
        unit = rng.randint(1, DEPARTMENTS - 1)
        unit_staff = [s for s, units in self.staff_units.items() if unit in units]
        client_author = rng.random() < 0.6 and bool(self.e.client_ids)
        author = rng.choice(self.e.client_ids) if client_author else rng.choice(self.e.staff_ids)
        client = author if client_author else (rng.choice(self.e.client_ids) if rng.random() < 0.5 else 0)
        assignees = (
            rng.sample(unit_staff, min(len(unit_staff), rng.randint(1, 2))) if rng.random() < 0.5 else []
        )
        created = self.now - timedelta(seconds=rng.randint(3600, 3 * 365 * 86400))
        state = rng.choices(("archived", "done", "in_work", "new"), weights=(70, 10, 10, 10))[0]
        worker = rng.choice(assignees or unit_staff or self.e.staff_ids)
        t = created
        log: list[tuple[datetime, str, int, str | None, int | None]] = [
            (t, "create", author, _csv(assignees) or "0", unit)
        ]
        if rng.random() < 0.15:  # forwarded once before anyone took it
            t += timedelta(minutes=rng.randint(5, 600))
            log.append((t, "refer", rng.choice(self.e.staff_ids), _csv(assignees) or "0", unit))
        lock_by = ok_by = 0
        ok_date = None
        if state != "new":
            t += timedelta(minutes=rng.randint(1, 2000))
            log.append((t, "lock", worker, None, None))
            lock_by = worker
            if rng.random() < 0.1:
                t += timedelta(minutes=rng.randint(1, 300))
                log.append((t, "edit_prio", worker, None, None))
        if state in ("done", "archived"):
            t += timedelta(minutes=rng.randint(10, 5000))
            log.append((t, "ok", worker, None, None))
            ok_by, ok_date = worker, t
        if state == "archived":
            t += timedelta(days=3, minutes=rng.randint(1, 60))
            log.append((t, "arch", 0, None, None))
        last = min(t, self.now)
        prio = rng.choices((0, 1, 2), weights=(20, 60, 20))[0]
        self.tickets.append(
            (
                tid,
                author,
                _csv(assignees) or "0",
                created,
                rng.choice(texts.SUBJECTS),
                texts.paragraph(rng, rng.randint(1, 4)).replace(". ", ".<br>", 1),
                client,
                unit,
                1 if state in ("done", "archived") else 0,
                md5(f"ticket-{tid}"),
                1 if state == "archived" else 0,
                lock_by,
                ok_by,
                prio,
                ok_date,
                last,
                created + timedelta(days=7) if rng.random() < 0.2 else None,
                rng.randint(1, PLANS) if rng.random() < 0.3 else 0,
            )
        )
        for at, code, who, to_users, to_unit in log:
            self.log.append((tid, at, code, who, to_users, to_unit))
        self.e.history += len(log)
        self.e.tickets += 1
        self.e.ticket_ids.append(tid)

    def comment(self, cid: int, tid: int, files: list[tuple[bytes, str, str]]) -> None:
        ticket = self.tickets[tid - 1]
        author = self.rng.choice([ticket[1], *self.e.staff_ids[:20]])
        at = ticket[3] + timedelta(minutes=self.rng.randint(1, 6000))
        text = texts.paragraph(self.rng, self.rng.randint(1, 3))
        roll = self.rng.random()
        if roll < 0.1:
            hashes = [self._file(ticket[9], *self.rng.choice(files)) for _ in range(self.rng.randint(1, 2))]
            text = f"{text}<br>[file:{','.join(hashes)}]" if roll > 0.02 else f"[file:{hashes[0]}]"
            if roll <= 0.02:
                hashes = hashes[:1]
        self.comments.append((cid, tid, author, text.encode(), at))
        self.log.append((tid, at, "comment", author, None, None))
        self.e.comments += 1
        self.e.history += 1

    def _file(self, ticket_hash: str, content: bytes, name: str, mime: str, bound: int = 1) -> str:
        self._file_id += 1
        fhash = hashlib.sha1(f"file-{self._file_id}".encode()).hexdigest()[:24]
        ext = name.rsplit(".", 1)[-1]
        self.files.append((self._file_id, ticket_hash, name, fhash, mime, len(content), ext, bound))
        if self.files_dir is not None:
            (self.files_dir / f"{fhash}.{ext}").write_bytes(content)
        if bound:
            self.e.files_ok += 1
        return fhash


_USER_COLUMNS = (
    "id, fio, login, pass, status, priv, unit, is_admin, is_client, email, lang, ldap_key, pb, posada,"
    " tel, unit_desc, uniq_id, last_time"
)
_MAIL_EVENTS = [
    "ticket_create",
    "ticket_refer",
    "ticket_comment",
    "ticket_lock",
    "ticket_unlock",
    "ticket_ok",
]
_FILES = [
    (PNG, "скриншот.png", "image/png"),
    (PDF, "invoice.pdf", "application/pdf"),
    ("Журнал ошибок\nerror 42\n".encode(), "log.txt", "text/plain"),
]


def _csv(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids)


def generate(
    conn: pymysql.connections.Connection[Any],
    *,
    tickets: int = 120,
    comments: int = 360,
    users: int = 60,
    seed: int = 1,
    files_dir: Path | None = None,
    broken: bool = True,
) -> Expected:
    """Fills an empty ZENLIX database (see ``mariadb.MariaDB.create_database``)."""
    db = _Db(conn)
    # The charset accident: a latin1 column that PHP filled with UTF-8 bytes.
    db.cur.execute("ALTER TABLE comments MODIFY comment_text varchar(2048) CHARACTER SET latin1")
    g = Generator(seed=seed, files_dir=files_dir)
    g.organisation(db)
    g.people(db, users, broken)
    for tid in range(1, tickets + 1):
        g.ticket(tid)
    for cid in range(1, comments + 1):
        g.comment(cid, g.rng.randint(1, tickets), _FILES)
    for tid in g.rng.sample(range(1, tickets + 1), max(1, tickets // 20)):  # files on the ticket itself
        g._file(g.tickets[tid - 1][9], *g.rng.choice(_FILES))
    if broken:
        from helpdesk_devstack.zenlix.broken import break_rows  # it builds on this module

        break_rows(g, tickets, comments)
    db.insert(
        "tickets",
        "id, user_init_id, user_to_id, date_create, subj, msg, client_id, unit_id, status, hash_name, arch,"
        " lock_by, ok_by, prio, ok_date, last_update, deadline_time, sla_plan_id",
        g.tickets,
    )
    db.insert("comments", "id, t_id, user_id, comment_text, dt", g.comments)
    db.insert(
        "ticket_log",
        "id, ticket_id, date_op, msg, init_user_id, to_user_id, to_unit_id",
        [(i + 1, *row) for i, row in enumerate(g.log)],
    )
    db.insert(
        "files",
        "id, ticket_hash, original_name, file_hash, file_type, file_size, file_ext, obj_type",
        g.files,
    )
    db.insert(
        "ticket_info",
        "ticket_id, ticket_source, ip",
        [(t[0], g.rng.choice(("web", "web", "api", "mail")), "10.0.0.1") for t in g.tickets],
    )
    return g.e
