"""Reads a ZENLIX 2 database (MySQL or MariaDB) into the typed records of ``records``.

The driver is PyMySQL: pure Python (nothing to compile in the service images), the
most used MySQL driver for Python, and it streams a result row by row
(``SSCursor``), so a table of millions of rows never sits in memory. The reader is
synchronous; the async importers call it in a worker thread, batch by batch.

Text is read as the bytes stored (``character_set_results = NULL``) and decoded by
``decode.text``, which copes with the tables that declare latin1 but hold UTF-8.
Nothing is ever written to the ZENLIX database.

Which tickets, comments and history rows can be imported is decided here, once,
so every service that imports a part of a ticket agrees on the same set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pymysql
import pymysql.cursors

from helpdesk_zenlix import decode
from helpdesk_zenlix.assemble import Assembler, Peek
from helpdesk_zenlix.records import (
    Bundle,
    ClientGroup,
    Department,
    File,
    Limits,
    Named,
    NotifyPrefs,
    SlaPlan,
    User,
)

DEFAULT_TIME_ZONE = "Europe/Kiev"  # ZENLIX's installer default for perf.time_zone


class ReaderError(Exception):
    """The ZENLIX database cannot be reached or read (bad URL, refused, missing table)."""


@dataclass(frozen=True)
class Location:
    host: str
    port: int
    user: str
    password: str
    database: str


def parse_url(url: str) -> Location:
    """``mysql://user:password@host:3306/database`` (``mariadb://`` and ``mysql+pymysql://`` too)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql") or not parts.path.strip("/"):
        raise ReaderError(f"not a MySQL URL: expected mysql://user:password@host:port/database, got {url!r}")
    return Location(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.strip("/")),
    )


def _connect(where: Location) -> pymysql.connections.Connection[Any]:
    try:
        conn = pymysql.connect(
            host=where.host,
            port=where.port,
            user=where.user,
            password=where.password,
            database=where.database,
            charset="utf8mb4",
            use_unicode=False,
            connect_timeout=10,
        )
    except pymysql.MySQLError as exc:
        raise ReaderError(f"cannot connect to the ZENLIX database: {exc}") from exc
    with conn.cursor() as cur:
        # The stored bytes, not a conversion: decode.text repairs what the charset hides.
        cur.execute("SET SESSION character_set_results = NULL")
    return conn


class Reader:
    """One ZENLIX database. Small tables are read whole; tickets stream in batches."""

    def __init__(self, url: str, *, time_zone: str | None = None) -> None:
        self._where = parse_url(url)
        self._conn = _connect(self._where)
        zone_name = time_zone or self.settings().get("time_zone") or DEFAULT_TIME_ZONE
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ReaderError(f"unknown time zone {zone_name!r} (perf.time_zone or --time-zone)") from None
        self._users: dict[int, User] | None = None

    def close(self) -> None:
        with contextlib.suppress(pymysql.MySQLError):
            self._conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            with self._conn.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        except pymysql.MySQLError as exc:
            raise ReaderError(f"cannot read the ZENLIX database ({sql.split(' FROM ')[-1]}): {exc}") from exc

    def _stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """Rows one by one on a connection of their own (an unbuffered result holds its connection)."""
        conn = _connect(self._where)
        try:
            with conn.cursor(pymysql.cursors.SSCursor) as cur:
                cur.execute(sql)
                while rows := cur.fetchmany(2000):
                    yield from rows
        except pymysql.MySQLError as exc:
            raise ReaderError(f"cannot read the ZENLIX database: {exc}") from exc
        finally:
            with contextlib.suppress(pymysql.MySQLError):
                conn.close()

    def _time(self, raw: object) -> datetime | None:
        return decode.local_time(raw, self.zone)

    # -- small tables -------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """``perf``: ZENLIX's configuration, key → value."""
        return {decode.text(k): decode.text(v) for k, v in self._rows("SELECT param, value FROM perf")}

    def departments(self) -> list[Department]:
        rows = self._rows("SELECT id, name, status FROM deps ORDER BY id")
        return [Department(id=r[0], name=decode.text(r[1]).strip(), visible=r[2] == 1) for r in rows]

    def client_groups(self) -> list[ClientGroup]:
        rows = self._rows("SELECT id, name, status, main_user FROM units ORDER BY id")
        return [
            ClientGroup(
                id=r[0],
                name=decode.text(r[1]).strip(),
                active=r[2] == 1,
                lead_id=decode.int_or_none(r[3]) or None,
            )
            for r in rows
        ]

    def positions(self) -> list[Named]:
        return [
            Named(r[0], decode.text(r[1]).strip())
            for r in self._rows("SELECT id, name FROM posada ORDER BY id")
        ]

    def subjects(self) -> list[Named]:
        return [
            Named(r[0], decode.text(r[1]).strip())
            for r in self._rows("SELECT id, name FROM subj ORDER BY id")
        ]

    def sla_plans(self) -> list[SlaPlan]:
        rows = self._rows(
            "SELECT id, name, reaction_time_low_prio, work_time_low_prio, deadline_time_low_prio,"
            " reaction_time_def, work_time_def, deadline_time_def,"
            " reaction_time_high_prio, work_time_high_prio, deadline_time_high_prio"
            " FROM sla_plans ORDER BY id"
        )

        def limits(values: tuple[Any, ...]) -> Limits:
            reaction, work, deadline = (int(v) if v and int(v) > 0 else None for v in values)
            return Limits(reaction=reaction, work=work, deadline=deadline)

        return [
            SlaPlan(
                id=r[0],
                name=decode.text(r[1]).strip(),
                limits={"low": limits(r[2:5]), "normal": limits(r[5:8]), "high": limits(r[8:11])},
            )
            for r in rows
        ]

    def users(self) -> tuple[list[User], list[tuple[int, str]]]:
        """The users that can be imported, and (id, why not) for those that cannot."""
        rows = self._rows(
            "SELECT id, login, fio, pass, status, priv, unit, is_admin, is_client, email, tel, lang, pb,"
            " unit_desc, posada, ldap_key, uniq_id FROM users ORDER BY id"
        )
        users: list[User] = []
        rejected: list[tuple[int, str]] = []
        for r in rows:
            login = decode.text(r[1]).strip()
            if not login:
                rejected.append((r[0], "no login"))
                continue
            is_client = r[8] == 1
            unit_ids, bad_units = decode.id_list(r[6])
            users.append(
                User(
                    id=r[0],
                    login=login,
                    full_name=" ".join(decode.text(r[2]).split()),
                    md5=decode.md5_hash(r[3]),
                    status=decode.USER_STATUS.get(r[4], "disabled"),
                    is_client=is_client,
                    role=decode.role(decode.int_or_none(r[5]), is_client),
                    is_admin=decode.is_admin(r[7]),
                    unit_ids=tuple(unit_ids),
                    email=decode.text(r[9]).strip(),
                    phone=decode.text(r[10]).strip(),
                    language=decode.text(r[11]).strip().lower(),
                    pushbullet=decode.text(r[12]).strip(),
                    client_group_id=(decode.int_or_none(r[13]) or None) if is_client else None,
                    position_name=decode.text(r[14]).strip(),
                    ldap=r[15] == 1,
                    bad_unit_parts=tuple(bad_units),
                    public_hash=decode.text(r[16]).strip(),
                )
            )
        self._users = {u.id: u for u in users}
        return users, rejected

    def notify_prefs(self) -> list[NotifyPrefs]:
        rows = self._rows("SELECT user_id, mail, sms FROM users_notify ORDER BY id")
        prefs: dict[int, NotifyPrefs] = {}
        for user_id, mail, sms in rows:
            words = decode.csv_words(mail)
            # The last row of a user wins, as in ZENLIX (it updates "where user_id").
            prefs[user_id] = NotifyPrefs(
                user_id=user_id, mail_events=tuple(words) or None, sms_events=tuple(decode.csv_words(sms))
            )
        return list(prefs.values())

    def files(self) -> list[File]:
        rows = self._rows(
            "SELECT id, ticket_hash, original_name, file_hash, file_type, file_size, file_ext, obj_type"
            " FROM files ORDER BY id"
        )
        return [
            File(
                id=r[0],
                ticket_hash=decode.text(r[1]).strip(),
                original_name=decode.text(r[2]).strip(),
                file_hash=decode.text(r[3]).strip(),
                mime=decode.text(r[4]).strip(),
                size=decode.int_or_none(r[5]) or 0,
                ext=decode.text(r[6]).strip(),
                bound=r[7] == 1,
            )
            for r in rows
        ]

    def ids(self, table: str) -> list[int]:
        """Every id of ``tickets``, ``comments``, ``ticket_log`` or ``files`` (for the checks
        that run before anything is written)."""
        if table not in ("tickets", "comments", "ticket_log", "files"):
            raise ValueError(table)
        return [r[0] for r in self._rows(f"SELECT id FROM {table} ORDER BY id")]

    def _sources(self) -> dict[int, str]:
        rows = self._rows("SELECT ticket_id, ticket_source FROM ticket_info")
        return {r[0]: decode.text(r[1]).strip() or "web" for r in rows if r[0] is not None}

    # -- tickets ------------------------------------------------------------------------

    def bundles(self, batch: int = 1000) -> Iterator[list[Bundle]]:
        """Every ticket with its comments, history and files, ``batch`` tickets at a time.

        Three streams (tickets by id, comments and log rows by ticket id) are merged on
        the ticket id. Rows of no ticket come as a bundle with neither ticket nor problem.
        """
        if self._users is None:
            self.users()
        assembler = Assembler(
            users=self._users or {},
            unit_ids={d.id for d in self.departments()},
            sources=self._sources(),
            files=self.files(),
            zone=self.zone,
        )
        tickets = self._stream(
            "SELECT id, user_init_id, user_to_id, date_create, subj, msg, client_id, unit_id, status,"
            " hash_name, arch, lock_by, ok_by, prio, ok_date, last_update, deadline_time, sla_plan_id"
            " FROM tickets ORDER BY id"
        )
        comments = Peek(
            self._stream("SELECT t_id, id, user_id, comment_text, dt FROM comments ORDER BY t_id, id")
        )
        log = Peek(
            self._stream(
                "SELECT ticket_id, id, date_op, msg, init_user_id, to_user_id, to_unit_id"
                " FROM ticket_log ORDER BY ticket_id, id"
            )
        )
        out: list[Bundle] = []
        for row in tickets:
            ticket_id = row[0]
            orphans = [("comment", c[1], "its ticket does not exist") for c in comments.until(ticket_id)]
            orphans += [("history", e[1], "its ticket does not exist") for e in log.until(ticket_id)]
            if orphans:
                out.append(Bundle(id=0, ticket=None, rejected=orphans))
            out.append(assembler.bundle(row, comments.equal(ticket_id), log.equal(ticket_id)))
            if len(out) >= batch:
                yield out
                out = []
        tail = [("comment", c[1], "its ticket does not exist") for c in comments.rest()]
        tail += [("history", e[1], "its ticket does not exist") for e in log.rest()]
        tail += [("file", f.id, "its ticket does not exist") for f in assembler.unused_files()]
        if tail:
            out.append(Bundle(id=0, ticket=None, rejected=tail))
        if out:
            yield out
