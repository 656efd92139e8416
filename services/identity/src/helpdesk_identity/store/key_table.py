"""Signing keys of access tokens (private keys never leave this schema)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def active_signing_key(conn: asyncpg.Connection) -> tuple[str, bytes] | None:
    row = await conn.fetchrow(
        "SELECT kid, private_pem FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"
    )
    return (row["kid"], bytes(row["private_pem"])) if row else None


async def verification_keys(conn: asyncpg.Connection, retired_after: datetime) -> dict[str, bytes]:
    rows = await conn.fetch(
        "SELECT kid, public_pem FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1",
        retired_after,
    )
    return {r["kid"]: bytes(r["public_pem"]) for r in rows}


async def add_signing_key(conn: asyncpg.Connection, kid: str, private_pem: bytes, public_pem: bytes) -> None:
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL")
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_pem, public_pem) VALUES ($1, $2, $3)",
        kid,
        private_pem,
        public_pem,
    )
