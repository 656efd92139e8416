"""The identity schema's queries: the only module of the service with SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from helpdesk_identity.domain import Kind, NewUser, Role, User
from helpdesk_kit.sealing import is_sealed_with_current_key, open_value, seal

_USER_COLUMNS = """
    u.id, u.login, u.full_name, u.email, u.phone, u.kind, u.role, u.is_admin, u.language,
    u.is_active, u.client_group_id, u.is_client_group_lead, u.position_id, u.pushbullet,
    u.time_zone, u.ldap,
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
        pushbullet=row["pushbullet"],
        time_zone=row["time_zone"],
        ldap=row["ldap"],
    )


async def user_by_login(conn: asyncpg.Connection, login: str) -> tuple[User, str | None] | None:
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.login) = lower($1)", login
    )
    return (_user(row), row["password_hash"]) if row else None


async def password_hash(conn: asyncpg.Connection, user_id: int) -> str | None:
    value: str | None = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    return value


async def revoke_other_sessions(conn: asyncpg.Connection, user_id: int, keep: uuid.UUID | None) -> None:
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " AND ($2::uuid IS NULL OR id <> $2)",
        user_id,
        keep,
    )


def _totp_purpose(user_id: int) -> str:
    return f"identity.totp:{user_id}"


async def user_secrets(conn: asyncpg.Connection, user_id: int) -> tuple[str | None, bool, str | None]:
    """(TOTP secret, whether TOTP is enabled, LDAP DN) of a user; the secret is kept sealed."""
    row = await conn.fetchrow("SELECT totp_secret, totp_enabled, ldap_dn FROM users WHERE id = $1", user_id)
    if not row:
        return (None, False, None)
    secret = row["totp_secret"]
    opened = open_value(secret, purpose=_totp_purpose(user_id)) if secret else None
    return (opened, row["totp_enabled"], row["ldap_dn"])


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
        "INSERT INTO users (login, password_hash, full_name, email, phone, kind, role, is_admin, language,"
        " client_group_id, is_client_group_lead, position_id, pushbullet, time_zone, ldap)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        new.login,
        password_hash,
        new.full_name,
        new.email,
        new.phone,
        new.kind.value,
        new.role.value if new.role else None,
        new.is_admin,
        new.language,
        new.client_group_id,
        new.is_client_group_lead,
        new.position_id,
        new.pushbullet,
        new.time_zone,
        new.ldap,
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
    if not row:
        return None
    opened = open_value(bytes(row["private_pem"]).decode(), purpose=_signing_purpose(row["kid"]))
    return (row["kid"], opened.encode())


async def verification_keys(conn: asyncpg.Connection, retired_after: datetime) -> dict[str, bytes]:
    rows = await conn.fetch(
        "SELECT kid, public_pem FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1",
        retired_after,
    )
    return {r["kid"]: bytes(r["public_pem"]) for r in rows}


def _signing_purpose(kid: str) -> str:
    return f"identity.signing_key:{kid}"


async def add_signing_key(conn: asyncpg.Connection, kid: str, private_pem: bytes, public_pem: bytes) -> None:
    """A new signing key (the private half kept sealed); the previous one retires."""
    await conn.execute("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL")
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_pem, public_pem) VALUES ($1, $2, $3)",
        kid,
        seal(private_pem.decode(), purpose=_signing_purpose(kid)).encode(),
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


async def update_user(conn: asyncpg.Connection, user_id: int, new: NewUser, is_active: bool) -> None:
    await conn.execute(
        "UPDATE users SET login = $2, full_name = $3, email = $4, phone = $5, role = $6, is_admin = $7,"
        " language = $8, client_group_id = $9, is_client_group_lead = $10, position_id = $11,"
        " pushbullet = $12, time_zone = $13, is_active = $14 WHERE id = $1",
        user_id,
        new.login,
        new.full_name,
        new.email,
        new.phone,
        new.role.value if new.role else None,
        new.is_admin,
        new.language,
        new.client_group_id,
        new.is_client_group_lead,
        new.position_id,
        new.pushbullet,
        new.time_zone,
        is_active,
    )
    await conn.execute("DELETE FROM user_units WHERE user_id = $1", user_id)
    if new.unit_ids:
        await conn.executemany(
            "INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)",
            [(user_id, u) for u in new.unit_ids],
        )


async def login_taken_by_other(conn: asyncpg.Connection, login: str, user_id: int) -> bool:
    return bool(
        await conn.fetchval("SELECT 1 FROM users WHERE lower(login) = lower($1) AND id <> $2", login, user_id)
    )


async def search_users(
    conn: asyncpg.Connection,
    *,
    pattern: str | None,
    unit_id: int | None,
    kind: str | None,
    after_id: int,
    limit: int,
) -> list[User]:
    """Users in id order after ``after_id``; ``pattern`` is a LIKE pattern over the search text."""
    rows = await conn.fetch(
        f"SELECT {_USER_COLUMNS} FROM users u WHERE u.id > $1"
        " AND ($2::text IS NULL OR lower(u.login || ' ' || u.full_name || ' ' || u.email || ' ' || u.phone)"
        "      LIKE $2)"
        " AND ($3::bigint IS NULL OR EXISTS"
        "      (SELECT 1 FROM user_units m WHERE m.user_id = u.id AND m.unit_id = $3))"
        " AND ($4::text IS NULL OR u.kind = $4)"
        " ORDER BY u.id LIMIT $5",
        after_id,
        pattern,
        unit_id,
        kind,
        limit,
    )
    return [_user(r) for r in rows]


async def client_group_members(conn: asyncpg.Connection, group_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {_USER_COLUMNS} FROM users u WHERE u.client_group_id = $1 AND u.is_active ORDER BY u.id",
        group_id,
    )
    return [_user(r) for r in rows]


async def heads_of_user(conn: asyncpg.Connection, user_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT DISTINCT {_USER_COLUMNS} FROM users u JOIN user_units m ON m.user_id = u.id"
        " WHERE m.unit_id IN (SELECT unit_id FROM user_units WHERE user_id = $1) AND u.is_active"
        " AND u.role IN ('unit_head', 'department_head') ORDER BY u.id",
        user_id,
    )
    return [_user(r) for r in rows]


async def set_totp(conn: asyncpg.Connection, user_id: int, secret: str | None, enabled: bool) -> None:
    sealed = seal(secret, purpose=_totp_purpose(user_id)) if secret else None
    await conn.execute(
        "UPDATE users SET totp_secret = $2, totp_enabled = $3 WHERE id = $1", user_id, sealed, enabled
    )


async def update_unit(conn: asyncpg.Connection, unit_id: int, name: str) -> bool:
    """False when there is no such unit; raises UniqueViolationError when the name is taken."""
    return (
        await conn.fetchval("UPDATE units SET name = $2 WHERE id = $1 RETURNING true", unit_id, name) is True
    )


async def insert_client_group(conn: asyncpg.Connection, name: str, lead_id: int | None) -> int | None:
    group_id: int | None = await conn.fetchval(
        "INSERT INTO client_groups (name, lead_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id",
        name,
        lead_id,
    )
    return group_id


async def all_client_groups(conn: asyncpg.Connection) -> list[tuple[int, str, int | None]]:
    rows = await conn.fetch("SELECT id, name, lead_id FROM client_groups ORDER BY name")
    return [(r["id"], r["name"], r["lead_id"]) for r in rows]


async def client_group_exists(conn: asyncpg.Connection, group_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM client_groups WHERE id = $1", group_id))


async def client_group(conn: asyncpg.Connection, group_id: int) -> tuple[int, str, int | None] | None:
    row = await conn.fetchrow(
        "SELECT id, name, lead_id FROM client_groups WHERE id = $1 FOR UPDATE", group_id
    )
    return (row["id"], row["name"], row["lead_id"]) if row else None


async def update_client_group(
    conn: asyncpg.Connection, group_id: int, name: str, lead_id: int | None
) -> None:
    """Raises UniqueViolationError when the name is taken."""
    await conn.execute(
        "UPDATE client_groups SET name = $2, lead_id = $3 WHERE id = $1", group_id, name, lead_id
    )


async def set_client_group_lead(conn: asyncpg.Connection, group_id: int, lead_id: int | None) -> None:
    """The lead flag follows the group's lead; a new lead joins the group."""
    await conn.execute(
        "UPDATE users SET is_client_group_lead = false WHERE client_group_id = $1 AND is_client_group_lead",
        group_id,
    )
    if lead_id is not None:
        await conn.execute(
            "UPDATE users SET client_group_id = $1, is_client_group_lead = true WHERE id = $2",
            group_id,
            lead_id,
        )


async def delete_client_group(conn: asyncpg.Connection, group_id: int) -> bool:
    await conn.execute(
        "UPDATE users SET client_group_id = NULL, is_client_group_lead = false WHERE client_group_id = $1",
        group_id,
    )
    status: str = await conn.execute("DELETE FROM client_groups WHERE id = $1", group_id)
    return status == "DELETE 1"


async def update_position(conn: asyncpg.Connection, position_id: int, name: str) -> bool:
    """False when there is no such position; raises UniqueViolationError when the name is taken."""
    status: str = await conn.execute("UPDATE positions SET name = $2 WHERE id = $1", position_id, name)
    return status == "UPDATE 1"


async def delete_position(conn: asyncpg.Connection, position_id: int) -> bool:
    await conn.execute("UPDATE users SET position_id = NULL WHERE position_id = $1", position_id)
    status: str = await conn.execute("DELETE FROM positions WHERE id = $1", position_id)
    return status == "DELETE 1"


async def unit_has_members(conn: asyncpg.Connection, unit_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM user_units WHERE unit_id = $1 LIMIT 1", unit_id))


async def delete_unit(conn: asyncpg.Connection, unit_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM units WHERE id = $1", unit_id)
    return status == "DELETE 1"


async def insert_position(conn: asyncpg.Connection, name: str) -> int | None:
    position_id: int | None = await conn.fetchval(
        "INSERT INTO positions (name) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", name
    )
    return position_id


async def all_positions(conn: asyncpg.Connection) -> list[tuple[int, str]]:
    rows = await conn.fetch("SELECT id, name FROM positions ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]


async def position_exists(conn: asyncpg.Connection, position_id: int) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM positions WHERE id = $1", position_id))


# --- sessions ---------------------------------------------------------------


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
        f"SELECT s.id AS session_id, {_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = ANY($1::uuid[]) AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active",
        session_ids,
    )
    return {r["session_id"]: _user(r) for r in rows}


async def active_sessions(conn: asyncpg.Connection, session_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ANY($1::uuid[])"
        " AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active",
        session_ids,
    )
    return {r["id"] for r in rows}


# --- personal API tokens ----------------------------------------------------


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


async def user_by_api_token(conn: asyncpg.Connection, token_hash: bytes) -> tuple[int, User] | None:
    """(token id, its active user) for a live token; marks it used."""
    row = await conn.fetchrow(
        f"UPDATE api_tokens t SET last_used_at = now() FROM users u WHERE t.token_hash = $1"
        " AND u.id = t.user_id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
        f" AND u.is_active RETURNING t.id AS token_id, {_USER_COLUMNS}",
        token_hash,
    )
    return (row["token_id"], _user(row)) if row else None


# --- one-time tokens (registration, password reset) -------------------------


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


async def use_one_time_token(conn: asyncpg.Connection, token_hash: bytes, purpose: str) -> int | None:
    """Spends a live token and returns its user id; None when unknown, used or expired."""
    user_id: int | None = await conn.fetchval(
        "UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1 AND purpose = $2"
        " AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        token_hash,
        purpose,
    )
    return user_id


async def user_for_reset(conn: asyncpg.Connection, login_or_email: str) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS} FROM users u"
        " WHERE (lower(u.login) = lower($1) OR lower(u.email) = lower($1))"
        " AND u.is_active AND NOT u.ldap AND u.email <> '' ORDER BY u.id LIMIT 1",
        login_or_email,
    )
    return _user(row) if row else None


async def email_taken(conn: asyncpg.Connection, email: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM users WHERE lower(email) = lower($1)", email))


async def activate_user(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute("UPDATE users SET is_active = true WHERE id = $1", user_id)


async def insert_inactive(conn: asyncpg.Connection, new: NewUser, password_hash: str | None) -> int:
    user_id = await insert_user(conn, new, password_hash)
    await conn.execute("UPDATE users SET is_active = false WHERE id = $1", user_id)
    return user_id


# Secret fields inside settings documents, sealed in storage: setting key → field names.
_SEALED_FIELDS = {"ldap": ("bind_password",)}


def _setting_purpose(key: str, field_name: str) -> str:
    return f"identity.settings:{key}.{field_name}"


async def get_setting_document(conn: asyncpg.Connection, key: str) -> dict[str, Any] | None:
    """A settings document with its secret fields opened."""
    raw = await get_setting(conn, key)
    if raw is None:
        return None
    data: dict[str, Any] = orjson.loads(raw)
    for name in _SEALED_FIELDS.get(key, ()):
        if isinstance(data.get(name), str):
            data[name] = open_value(data[name], purpose=_setting_purpose(key, name))
    return data


async def put_setting_document(conn: asyncpg.Connection, key: str, data: dict[str, Any]) -> None:
    """Stores a settings document with its secret fields sealed."""
    stored = dict(data)
    for name in _SEALED_FIELDS.get(key, ()):
        if isinstance(stored.get(name), str) and stored[name]:
            stored[name] = seal(stored[name], purpose=_setting_purpose(key, name))
    await put_setting(conn, key, orjson.dumps(stored).decode())


async def reseal_all(conn: asyncpg.Connection) -> int:
    """Seals what was stored in the clear before, and re-seals what a retired key sealed,
    with the current key; returns how many values changed."""
    changed = 0
    for row in await conn.fetch("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL"):
        if not is_sealed_with_current_key(row["totp_secret"]):
            secret = open_value(row["totp_secret"], purpose=_totp_purpose(row["id"]))
            await conn.execute(
                "UPDATE users SET totp_secret = $2 WHERE id = $1",
                row["id"],
                seal(secret, purpose=_totp_purpose(row["id"])),
            )
            changed += 1
    for row in await conn.fetch("SELECT kid, private_pem FROM signing_keys"):
        pem = bytes(row["private_pem"]).decode()
        if not is_sealed_with_current_key(pem):
            opened = open_value(pem, purpose=_signing_purpose(row["kid"]))
            await conn.execute(
                "UPDATE signing_keys SET private_pem = $2 WHERE kid = $1",
                row["kid"],
                seal(opened, purpose=_signing_purpose(row["kid"])).encode(),
            )
            changed += 1
    for key, names in _SEALED_FIELDS.items():
        raw = await get_setting(conn, key)
        stored = orjson.loads(raw) if raw else {}
        if any(
            isinstance(stored.get(n), str) and stored[n] and not is_sealed_with_current_key(stored[n])
            for n in names
        ):
            document = await get_setting_document(conn, key)
            await put_setting_document(conn, key, document or {})
            changed += 1
    return changed


async def get_setting(conn: asyncpg.Connection, key: str) -> str | None:
    value: str | None = await conn.fetchval("SELECT value::text FROM settings WHERE key = $1", key)
    return value


async def put_setting(conn: asyncpg.Connection, key: str, value_json: str) -> None:
    await conn.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        value_json,
    )


async def ldap_users(conn: asyncpg.Connection) -> list[tuple[User, str | None]]:
    rows = await conn.fetch(f"SELECT {_USER_COLUMNS}, u.ldap_dn FROM users u WHERE u.ldap ORDER BY u.id")
    return [(_user(r), r["ldap_dn"]) for r in rows]


async def set_ldap(conn: asyncpg.Connection, user_id: int, dn: str) -> None:
    await conn.execute(
        "UPDATE users SET ldap = true, ldap_dn = $2, password_hash = NULL WHERE id = $1", user_id, dn
    )
