"""Personal API tokens and one-time tokens (registration, password reset), kept as hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_identity.domain import User
from helpdesk_identity.store.rows import USER_COLUMNS, user_from_row


@dataclass(frozen=True)
class ApiTokenRow:
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


async def insert_api_token(
    conn: asyncpg.Connection, user_id: int, name: str, token_hash: bytes, expires_at: datetime | None
) -> ApiTokenRow:
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (user_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4)"
        " RETURNING id, name, created_at, expires_at, last_used_at",
        user_id,
        name,
        token_hash,
        expires_at,
    )
    return ApiTokenRow(**dict(row))


async def api_tokens_of(conn: asyncpg.Connection, user_id: int) -> list[ApiTokenRow]:
    rows = await conn.fetch(
        "SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens"
        " WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id",
        user_id,
    )
    return [ApiTokenRow(**dict(r)) for r in rows]


async def revoke_api_token(conn: asyncpg.Connection, user_id: int, token_id: int) -> bool:
    return (
        await conn.fetchval(
            "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
            " RETURNING true",
            token_id,
            user_id,
        )
        is True
    )


async def revoke_user_api_tokens(conn: asyncpg.Connection, user_id: int) -> list[int]:
    """Revokes every live token of the user; the ids of those it revoked."""
    rows = await conn.fetch(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > now()) RETURNING id",
        user_id,
    )
    return [r["id"] for r in rows]


async def user_by_api_token(conn: asyncpg.Connection, token_hash: bytes) -> tuple[int, User] | None:
    """(token id, its active user) for a live token; marks it used."""
    row = await conn.fetchrow(
        f"UPDATE api_tokens t SET last_used_at = now() FROM users u WHERE t.token_hash = $1"
        " AND u.id = t.user_id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
        f" AND u.is_active RETURNING t.id AS token_id, {USER_COLUMNS}",
        token_hash,
    )
    return (row["token_id"], user_from_row(row)) if row else None


async def insert_one_time_token(
    conn: asyncpg.Connection, token_hash: bytes, purpose: str, user_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        purpose,
        user_id,
        expires_at,
    )


async def replace_one_time_token(
    conn: asyncpg.Connection, token_hash: bytes, purpose: str, user_id: int, expires_at: datetime
) -> None:
    """A new token for the user and purpose; the unused ones before it stop counting."""
    await conn.execute(
        "UPDATE one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose,
    )
    await insert_one_time_token(conn, token_hash, purpose, user_id, expires_at)


async def use_one_time_token(conn: asyncpg.Connection, token_hash: bytes, purpose: str) -> int | None:
    """Spends a live token and returns its user id; None when unknown, used or expired."""
    user_id: int | None = await conn.fetchval(
        "UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2"
        " AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        token_hash,
        purpose,
    )
    return user_id
