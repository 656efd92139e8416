"""Mailboxes: settings with the sealed password, the poller's lease and state, counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_kit.sealing import is_sealed_with_current_key, open_value, seal
from helpdesk_mailin.domain.mailbox import MailboxSettings


@dataclass(frozen=True)
class MailboxRow:
    id: int
    settings: MailboxSettings
    has_password: bool
    created_at: datetime
    uidvalidity: int
    last_uid: int
    last_poll_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    idle: bool
    counts: dict[str, int]


COUNTERS = ("ingested", "replies", "dropped", "quarantined", "refused")
_SETTINGS = (
    "name, enabled, host, port, security, allow_plain, login, folder, processed_folder,"
    " quarantine_folder, unit_id, assignee_ids, priority, subject_id, unknown_senders"
)
_COLUMNS = (
    f"id, {_SETTINGS}, password <> '' AS has_password, created_at, uidvalidity, last_uid,"
    f" last_poll_at, last_error, last_error_at, idle, {', '.join(COUNTERS)}"
)


def _purpose(mailbox_id: int) -> str:
    return f"mailin.mailbox:{mailbox_id}.password"


def _row(r: asyncpg.Record) -> MailboxRow:
    settings = MailboxSettings(
        name=r["name"],
        enabled=r["enabled"],
        host=r["host"],
        port=r["port"],
        security=r["security"],
        allow_plain=r["allow_plain"],
        login=r["login"],
        folder=r["folder"],
        processed_folder=r["processed_folder"],
        quarantine_folder=r["quarantine_folder"],
        unit_id=r["unit_id"],
        assignee_ids=tuple(r["assignee_ids"]),
        priority=r["priority"],
        subject_id=r["subject_id"],
        unknown_senders=r["unknown_senders"],
    )
    return MailboxRow(
        id=r["id"],
        settings=settings,
        has_password=r["has_password"],
        created_at=r["created_at"],
        uidvalidity=r["uidvalidity"],
        last_uid=r["last_uid"],
        last_poll_at=r["last_poll_at"],
        last_error=r["last_error"],
        last_error_at=r["last_error_at"],
        idle=r["idle"],
        counts={c: r[c] for c in COUNTERS},
    )


def _values(s: MailboxSettings) -> tuple[object, ...]:
    return (
        s.name,
        s.enabled,
        s.host,
        s.port,
        s.security,
        s.allow_plain,
        s.login,
        s.folder,
        s.processed_folder,
        s.quarantine_folder,
        s.unit_id,
        list(s.assignee_ids),
        s.priority,
        s.subject_id,
        s.unknown_senders,
    )


async def insert_mailbox(conn: asyncpg.Connection, s: MailboxSettings, password: str) -> int:
    mailbox_id: int = await conn.fetchval(
        f"INSERT INTO mailboxes ({_SETTINGS}) VALUES"
        " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::bigint[], $13, $14, $15) RETURNING id",
        *_values(s),
    )
    await set_password(conn, mailbox_id, password)
    return mailbox_id


async def update_mailbox(conn: asyncpg.Connection, mailbox_id: int, s: MailboxSettings) -> bool:
    status: str = await conn.execute(
        f"UPDATE mailboxes SET ({_SETTINGS}, updated_at) ="
        " ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::bigint[], $14, $15, $16, now()) WHERE id = $1",
        mailbox_id,
        *_values(s),
    )
    return status.endswith(" 1")


async def set_password(conn: asyncpg.Connection, mailbox_id: int, password: str) -> None:
    sealed = seal(password, purpose=_purpose(mailbox_id)) if password else ""
    await conn.execute("UPDATE mailboxes SET password = $2 WHERE id = $1", mailbox_id, sealed)


async def password_of(conn: asyncpg.Connection, mailbox_id: int) -> str:
    sealed: str | None = await conn.fetchval("SELECT password FROM mailboxes WHERE id = $1", mailbox_id)
    return open_value(sealed, purpose=_purpose(mailbox_id)) if sealed else ""


async def reseal_passwords(conn: asyncpg.Connection) -> int:
    """Seals passwords stored in the clear, or by a retired key, with the current key."""
    changed = 0
    for r in await conn.fetch("SELECT id, password FROM mailboxes WHERE password <> '' FOR UPDATE"):
        if not is_sealed_with_current_key(r["password"]):
            await set_password(conn, r["id"], open_value(r["password"], purpose=_purpose(r["id"])))
            changed += 1
    return changed


async def delete_mailbox(conn: asyncpg.Connection, mailbox_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM mailboxes WHERE id = $1", mailbox_id)
    return status.endswith(" 1")


async def mailboxes(conn: asyncpg.Connection) -> list[MailboxRow]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM mailboxes ORDER BY id")]


async def mailbox(conn: asyncpg.Connection, mailbox_id: int) -> MailboxRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM mailboxes WHERE id = $1", mailbox_id)
    return _row(r) if r else None


async def enabled_mailbox_ids(conn: asyncpg.Connection) -> list[int]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM mailboxes WHERE enabled ORDER BY id")]


async def claim_lease(conn: asyncpg.Connection, mailbox_id: int, owner: str, seconds: float) -> bool:
    """Takes or renews the mailbox for ``owner`` until now + ``seconds``; False when another
    owner holds an unexpired lease (or the mailbox is gone or switched off)."""
    got = await conn.fetchval(
        "UPDATE mailboxes SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)"
        " WHERE id = $1 AND enabled AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())"
        " RETURNING id",
        mailbox_id,
        owner,
        seconds,
    )
    return got is not None


async def release_lease(conn: asyncpg.Connection, mailbox_id: int, owner: str) -> None:
    await conn.execute(
        "UPDATE mailboxes SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        mailbox_id,
        owner,
    )


async def record_poll(conn: asyncpg.Connection, mailbox_id: int, *, error: str, idle: bool) -> None:
    """A poll's end: success ("" error) stamps last_poll_at, a failure the error."""
    if error:
        await conn.execute(
            "UPDATE mailboxes SET last_error = $2, last_error_at = now() WHERE id = $1",
            mailbox_id,
            error[:1000],
        )
    else:
        await conn.execute(
            "UPDATE mailboxes SET last_poll_at = now(), last_error = '', idle = $2 WHERE id = $1",
            mailbox_id,
            idle,
        )


async def set_read_position(
    conn: asyncpg.Connection, mailbox_id: int, uidvalidity: int, last_uid: int
) -> None:
    await conn.execute(
        "UPDATE mailboxes SET uidvalidity = $2, last_uid = greatest(CASE WHEN uidvalidity = $2"
        " THEN last_uid ELSE 0 END, $3) WHERE id = $1",
        mailbox_id,
        uidvalidity,
        last_uid,
    )


async def count(conn: asyncpg.Connection, mailbox_id: int, counter: str, by: int = 1) -> None:
    if counter not in COUNTERS:
        raise ValueError(counter)
    await conn.execute(f"UPDATE mailboxes SET {counter} = {counter} + $2 WHERE id = $1", mailbox_id, by)
