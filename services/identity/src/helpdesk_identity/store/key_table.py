"""Signing keys of access tokens and passports (private keys never leave this schema, and
are kept sealed in it)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from helpdesk_kit.sealing import open_value, seal


def signing_purpose(kid: str) -> str:
    return f"identity.signing_key:{kid}"


async def active_signing_key(conn: asyncpg.Connection) -> tuple[str, bytes] | None:
    row = await conn.fetchrow(
        "SELECT kid, private_pem FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"
    )
    if not row:
        return None
    opened = open_value(bytes(row["private_pem"]).decode(), purpose=signing_purpose(row["kid"]))
    return (row["kid"], opened.encode())


async def verification_keys(conn: asyncpg.Connection, retired_after: datetime) -> dict[str, bytes]:
    rows = await conn.fetch(
        "SELECT kid, public_pem FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1",
        retired_after,
    )
    return {r["kid"]: bytes(r["public_pem"]) for r in rows}


async def add_signing_key(conn: asyncpg.Connection, kid: str, private_pem: bytes, public_pem: bytes) -> None:
    """A new signing key (the private half sealed); the previous one retires."""
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL")
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_pem, public_pem) VALUES ($1, $2, $3)",
        kid,
        seal(private_pem.decode(), purpose=signing_purpose(kid)).encode(),
        public_pem,
    )
