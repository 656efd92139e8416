"""Sessions and their refresh tokens: rotation, reuse, revocation, which still count.

A session is one sign-in. Every refresh token it was ever given is kept (as a hash)
with the time it was spent: the live one is the only unspent one, and a spent one
coming back means a copy of it was used (its family — the session — is ended).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_identity.domain import User
from helpdesk_identity.store.rows import USER_COLUMNS, user_from_row


@dataclass(frozen=True)
class RefreshTokenRow:
    """A refresh token as found: its session, whose it is, and whether either still counts."""

    session_id: uuid.UUID
    user_id: int
    spent: bool
    session_live: bool  # not revoked, not expired


async def insert_session(
    conn: asyncpg.Connection, user_id: int, refresh_hash: bytes, expires_at: datetime
) -> uuid.UUID:
    session_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)", session_id, user_id, expires_at
    )
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", refresh_hash, session_id
    )
    return session_id


async def refresh_token(conn: asyncpg.Connection, refresh_hash: bytes) -> RefreshTokenRow | None:
    """The refresh token with this hash, locked (with its session) until the transaction ends:
    two uses of one token are decided one after the other."""
    row = await conn.fetchrow(
        "SELECT t.session_id, s.user_id, t.spent_at IS NOT NULL AS spent,"
        " s.revoked_at IS NULL AND s.expires_at > now() AS live"
        " FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"
        " WHERE t.token_hash = $1 FOR UPDATE",
        refresh_hash,
    )
    if row is None:
        return None
    return RefreshTokenRow(row["session_id"], row["user_id"], row["spent"], row["live"])


async def rotate_refresh(
    conn: asyncpg.Connection, session_id: uuid.UUID, spent_hash: bytes, new_hash: bytes
) -> None:
    """Spends a refresh token and gives its session the next one."""
    await conn.execute("UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1", spent_hash)
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", new_hash, session_id
    )


async def revoke_session(conn: asyncpg.Connection, session_id: uuid.UUID, reason: str) -> int | None:
    """Ends a live session; its user's id, or None when it had ended already."""
    user_id: int | None = await conn.fetchval(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL"
        " RETURNING user_id",
        session_id,
        reason,
    )
    return user_id


async def revoke_user_sessions(
    conn: asyncpg.Connection, user_id: int, reason: str, keep: uuid.UUID | None = None
) -> list[str]:
    """Ends the user's live sessions (all but ``keep``); the ids of those it ended."""
    rows = await conn.fetch(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2"
        " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()"
        " AND ($3::uuid IS NULL OR id <> $3) RETURNING id",
        user_id,
        reason,
        keep,
    )
    return [str(r["id"]) for r in rows]


async def delete_ended_sessions(conn: asyncpg.Connection, older_than: datetime) -> int:
    """Forgets sessions (and their refresh tokens) that ended before ``older_than``."""
    status: str = await conn.execute(
        "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
        older_than,
    )
    return int(status.split()[-1])


async def session_active(conn: asyncpg.Connection, session_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
            " AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active",
            session_id,
        )
    )


async def active_session_users(
    conn: asyncpg.Connection, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, User]:
    """The live ones of these sessions, each with its user as he is now."""
    rows = await conn.fetch(
        f"SELECT s.id AS session_id, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = ANY($1::uuid[]) AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active",
        session_ids,
    )
    return {r["session_id"]: user_from_row(r) for r in rows}


async def active_sessions(conn: asyncpg.Connection, session_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ANY($1::uuid[])"
        " AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active",
        session_ids,
    )
    return {r["id"] for r in rows}
