"""Personal API tokens, ZENLIX API keys and one-time tokens (registration, password reset),
kept as hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from helpdesk_identity.domain import User
from helpdesk_identity.store.rows import USER_COLUMNS, user_from_row

# The kinds of tokens ``api_tokens`` holds: personal API tokens ("hd_...", the REST API)
# and ZENLIX API keys (ZENLIX's JSON API only). Every query names the kind it means.
API = "api"
ZENLIX = "zenlix"


@dataclass(frozen=True)
class ApiTokenRow:
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


_ROW = "id, name, created_at, expires_at, last_used_at"


async def insert_api_token(
    conn: asyncpg.Connection,
    user_id: int,
    name: str,
    token_hash: bytes,
    expires_at: datetime | None,
    *,
    kind: str = API,
    device: str | None = None,
) -> ApiTokenRow:
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (user_id, name, token_hash, expires_at, kind, device)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_ROW}",
        user_id,
        name,
        token_hash,
        expires_at,
        kind,
        device,
    )
    return ApiTokenRow(**dict(row))


async def api_tokens_of(conn: asyncpg.Connection, user_id: int, *, kind: str = API) -> list[ApiTokenRow]:
    rows = await conn.fetch(
        f"SELECT {_ROW} FROM api_tokens WHERE user_id = $1 AND kind = $2 AND revoked_at IS NULL ORDER BY id",
        user_id,
        kind,
    )
    return [ApiTokenRow(**dict(r)) for r in rows]


async def revoke_api_token(conn: asyncpg.Connection, user_id: int, token_id: int, *, kind: str = API) -> bool:
    return (
        await conn.fetchval(
            "UPDATE api_tokens SET revoked_at = now()"
            " WHERE id = $1 AND user_id = $2 AND kind = $3 AND revoked_at IS NULL RETURNING true",
            token_id,
            user_id,
            kind,
        )
        is True
    )


async def revoke_user_api_tokens(conn: asyncpg.Connection, user_id: int) -> list[int]:
    """Revokes every live token and ZENLIX key of the user; the ids of those it revoked."""
    rows = await conn.fetch(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > now()) RETURNING id",
        user_id,
    )
    return [r["id"] for r in rows]


async def user_by_api_token(
    conn: asyncpg.Connection, token_hash: bytes, *, kind: str = API
) -> tuple[int, User] | None:
    """(token id, its active user) for a live token of this kind; marks it used."""
    row = await conn.fetchrow(
        f"UPDATE api_tokens t SET last_used_at = now() FROM users u WHERE t.token_hash = $1"
        " AND t.kind = $2 AND u.id = t.user_id AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > now())"
        f" AND u.is_active RETURNING t.id AS token_id, {USER_COLUMNS}",
        token_hash,
        kind,
    )
    return (row["token_id"], user_from_row(row)) if row else None


async def revoke_device_keys(conn: asyncpg.Connection, user_id: int, device: str) -> list[int]:
    """Revokes the user's live ZENLIX keys bound to ``device``; their ids."""
    rows = await conn.fetch(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND kind = $2 AND device = $3"
        " AND revoked_at IS NULL RETURNING id",
        user_id,
        ZENLIX,
        device,
    )
    return [r["id"] for r in rows]


async def revoke_all_but_newest_keys(
    conn: asyncpg.Connection, user_id: int, device: str, keep: int
) -> list[int]:
    """Keeps the ``keep`` newest live ZENLIX keys bound to ``device``, revokes the rest (their ids)."""
    rows = await conn.fetch(
        "UPDATE api_tokens SET revoked_at = now() WHERE id IN ("
        "  SELECT id FROM api_tokens WHERE user_id = $1 AND kind = $2 AND device = $3"
        "  AND revoked_at IS NULL ORDER BY id DESC OFFSET $4) RETURNING id",
        user_id,
        ZENLIX,
        device,
        keep,
    )
    return [r["id"] for r in rows]


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
