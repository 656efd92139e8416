"""The identity schema's queries: the only module of the service with SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from helpdesk_identity.domain import Kind, NewUser, Role, User

_USER_COLUMNS = """
    u.id, u.login, u.full_name, u.email, u.phone, u.kind, u.role, u.is_admin, u.language,
    u.is_active, u.client_group_id, u.is_client_group_lead, u.position_id,
    coalesce(array(SELECT unit_id FROM user_units uu WHERE uu.user_id = u.id ORDER BY unit_id), '{}')
        AS unit_ids
"""


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        login=row["login"],
        full_name=row["full_name"],
        kind=Kind(row["kind"]),
        role=Role(row["role"]) if row["role"] else None,
        unit_ids=list(row["unit_ids"]),
        email=row["email"],
        phone=row["phone"],
        is_admin=row["is_admin"],
        language=row["language"],
        is_active=row["is_active"],
        client_group_id=row["client_group_id"],
        is_client_group_lead=row["is_client_group_lead"],
        position_id=row["position_id"],
    )


async def user_by_login(conn: asyncpg.Connection, login: str) -> tuple[User, str | None] | None:
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.login) = lower($1)", login
    )
    return (_user(row), row["password_hash"]) if row else None


async def users_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[User]:
    rows = await conn.fetch(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.id = ANY($1::bigint[])", ids)
    return [_user(r) for r in rows]


async def unit_members(conn: asyncpg.Connection, unit_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {_USER_COLUMNS} FROM users u JOIN user_units m ON m.user_id = u.id"
        " WHERE m.unit_id = $1 AND u.is_active ORDER BY u.id",
        unit_id,
    )
    return [_user(r) for r in rows]


async def unit_heads(conn: asyncpg.Connection, unit_ids: list[int]) -> list[User]:
    rows = await conn.fetch(
        f"SELECT DISTINCT {_USER_COLUMNS} FROM users u JOIN user_units m ON m.user_id = u.id"
        " WHERE m.unit_id = ANY($1::bigint[]) AND u.is_active"
        " AND u.role IN ('unit_head', 'department_head') ORDER BY u.id",
        unit_ids,
    )
    return [_user(r) for r in rows]


async def login_taken(conn: asyncpg.Connection, login: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM users WHERE lower(login) = lower($1)", login))


async def existing_units(conn: asyncpg.Connection, ids: list[int]) -> set[int]:
    rows = await conn.fetch("SELECT id FROM units WHERE id = ANY($1::bigint[])", ids)
    return {r["id"] for r in rows}


async def insert_user(conn: asyncpg.Connection, new: NewUser, password_hash: str | None) -> int:
    user_id: int = await conn.fetchval(
        "INSERT INTO users (login, password_hash, full_name, email, phone, kind, role, is_admin, language)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        new.login,
        password_hash,
        new.full_name,
        new.email,
        new.phone,
        new.kind.value,
        new.role.value if new.role else None,
        new.is_admin,
        new.language,
    )
    if new.unit_ids:
        await conn.executemany(
            "INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)",
            [(user_id, u) for u in new.unit_ids],
        )
    return user_id


async def set_password_hash(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def insert_unit(conn: asyncpg.Connection, name: str) -> int | None:
    unit_id: int | None = await conn.fetchval(
        "INSERT INTO units (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", name
    )
    return unit_id


async def all_units(conn: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await conn.fetch("SELECT id, name FROM units ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


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
