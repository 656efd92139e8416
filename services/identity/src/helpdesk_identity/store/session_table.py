"""Sessions: refresh-token hashes, rotation, revocation, which still count."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from helpdesk_identity.domain import User
from helpdesk_identity.store.rows import USER_COLUMNS, user_from_row


async def revoke_other_sessions(conn: asyncpg.Connection, user_id: int, keep: uuid.UUID | None) -> None:
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " AND ($2::uuid IS NULL OR id <> $2)",
        user_id,
        keep,
    )


async def insert_session(
    conn: asyncpg.Connection, user_id: int, refresh_hash: bytes, expires_at: datetime
) -> uuid.UUID:
    session_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO sessions (id, user_id, refresh_hash, expires_at) VALUES ($1, $2, $3, $4)",
        session_id,
        user_id,
        refresh_hash,
        expires_at,
    )
    return session_id


async def session_by_refresh(conn: asyncpg.Connection, refresh_hash: bytes) -> tuple[uuid.UUID, int] | None:
    """The live session (id, user id) holding this refresh token, locked for rotation."""
    row = await conn.fetchrow(
        "SELECT id, user_id FROM sessions WHERE refresh_hash = $1 AND revoked_at IS NULL"
        " AND expires_at > now() FOR UPDATE",
        refresh_hash,
    )
    return (row["id"], row["user_id"]) if row else None


async def rotate_refresh(conn: asyncpg.Connection, session_id: uuid.UUID, refresh_hash: bytes) -> None:
    await conn.execute("UPDATE sessions SET refresh_hash = $2 WHERE id = $1", session_id, refresh_hash)


async def revoke_session(conn: asyncpg.Connection, session_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", session_id
    )


async def revoke_user_sessions(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )


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
