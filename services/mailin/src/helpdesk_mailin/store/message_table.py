"""Every message the pollers saw: its key, sender, outcome, and (while quarantined) itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_kit.retention import Pruned, pruned_rows

FINAL = ("ticket", "comment", "dropped", "refused", "quarantined")


@dataclass(frozen=True)
class MessageRow:
    id: int
    mailbox_id: int
    uidvalidity: int
    uid: int
    message_id: str
    sender: str
    subject: str
    size: int
    status: str
    reason: str
    ticket_id: int | None
    comment_id: int | None
    attempts: int
    received_at: datetime
    has_raw: bool

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


_COLUMNS = (
    "id, mailbox_id, uidvalidity, uid, message_id, sender, subject, size, status, reason, ticket_id,"
    " comment_id, attempts, received_at, raw IS NOT NULL AS has_raw"
)


def _row(r: asyncpg.Record) -> MessageRow:
    return MessageRow(**{k: r[k] for k in MessageRow.__dataclass_fields__})


async def begin(
    conn: asyncpg.Connection,
    *,
    mailbox_id: int,
    uidvalidity: int,
    uid: int,
    message_id: str,
    sender: str,
    subject: str,
    size: int,
) -> MessageRow:
    """The message's record, made on first sight, its attempts counted on every sight."""
    r = await conn.fetchrow(
        "INSERT INTO messages (mailbox_id, uidvalidity, uid, message_id, sender, subject, size, status,"
        " attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', 1)"
        " ON CONFLICT (mailbox_id, uidvalidity, uid) DO UPDATE SET attempts = messages.attempts + 1,"
        " updated_at = now()"
        f" RETURNING {_COLUMNS}",
        mailbox_id,
        uidvalidity,
        uid,
        message_id,
        sender[:320],
        subject[:500],
        size,
    )
    return _row(r)


async def by_uid(conn: asyncpg.Connection, mailbox_id: int, uidvalidity: int, uid: int) -> MessageRow | None:
    r = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM messages WHERE mailbox_id = $1 AND uidvalidity = $2 AND uid = $3",
        mailbox_id,
        uidvalidity,
        uid,
    )
    return _row(r) if r else None


async def done_elsewhere(conn: asyncpg.Connection, mailbox_id: int, message_id: str, row_id: int) -> bool:
    """Whether this mailbox already finished a message of this Message-ID under another
    UID (the folder's UIDVALIDITY changed, or the mail was put back)."""
    if not message_id:
        return False
    found = await conn.fetchval(
        "SELECT 1 FROM messages WHERE mailbox_id = $1 AND message_id = $2 AND id <> $3"
        " AND status IN ('ticket', 'comment', 'dropped', 'refused')",
        mailbox_id,
        message_id,
        row_id,
    )
    return found is not None


async def finish(
    conn: asyncpg.Connection,
    row_id: int,
    *,
    status: str,
    reason: str = "",
    ticket_id: int | None = None,
    comment_id: int | None = None,
    anonymous: bool = False,
    raw: bytes | None = None,
) -> None:
    await conn.execute(
        "UPDATE messages SET status = $2, reason = $3, ticket_id = $4, comment_id = $5, anonymous = $6,"
        " raw = $7, updated_at = now() WHERE id = $1",
        row_id,
        status,
        reason[:2000],
        ticket_id,
        comment_id,
        anonymous,
        raw,
    )


async def recent_from(conn: asyncpg.Connection, sender: str, seconds: float, row_id: int) -> int:
    """Mails of this sender (lower case) seen in the last ``seconds``, this one not counted."""
    found: int = await conn.fetchval(
        "SELECT count(*) FROM messages WHERE sender = $1 AND id <> $3"
        " AND received_at > now() - make_interval(secs => $2)",
        sender,
        seconds,
        row_id,
    )
    return found


async def anonymous_sender_of(conn: asyncpg.Connection, ticket_id: int) -> str | None:
    """The address whose anonymous mail opened this ticket (None: not opened so)."""
    found: str | None = await conn.fetchval(
        "SELECT sender FROM messages WHERE ticket_id = $1 AND anonymous AND status = 'ticket'"
        " ORDER BY id LIMIT 1",
        ticket_id,
    )
    return found


async def quarantined(
    conn: asyncpg.Connection, *, mailbox_id: int | None, limit: int, before_id: int | None
) -> list[MessageRow]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM messages WHERE status = 'quarantined'"
        " AND ($1::bigint IS NULL OR mailbox_id = $1) AND ($2::bigint IS NULL OR id < $2)"
        " ORDER BY id DESC LIMIT $3",
        mailbox_id,
        before_id,
        limit,
    )
    return [_row(r) for r in rows]


async def quarantined_for_retry(conn: asyncpg.Connection, row_id: int) -> tuple[MessageRow, bytes] | None:
    """A quarantined message and its kept bytes, locked for this transaction."""
    r = await conn.fetchrow(
        f"SELECT {_COLUMNS}, raw FROM messages WHERE id = $1 AND status = 'quarantined' FOR UPDATE", row_id
    )
    if r is None or r["raw"] is None:
        return None
    return _row(r), bytes(r["raw"])


async def prune(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Retention: records of mail filed, dropped or refused before ``cutoff``. Quarantined
    mail waits for an admin, and the record of an anonymous ticket's first mail is where its
    sender's address lives (the replies go there): both stay."""
    status: str = await conn.execute(
        "DELETE FROM messages WHERE id IN ("
        " SELECT id FROM messages WHERE received_at < $1"
        " AND status IN ('ticket', 'comment', 'dropped', 'refused')"
        " AND NOT (anonymous AND status = 'ticket')"
        " ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)
