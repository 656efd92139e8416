"""Users: read, search, insert, update, passwords and second factor, LDAP links."""

from __future__ import annotations

import asyncpg

from helpdesk_identity.domain import NewUser, User
from helpdesk_identity.store.rows import USER_COLUMNS, user_from_row
from helpdesk_kit.sealing import open_value, seal


async def user_by_login(conn: asyncpg.Connection, login: str) -> tuple[User, str | None] | None:
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE lower(u.login) = lower($1)", login
    )
    return (user_from_row(row), row["password_hash"]) if row else None


async def password_hash(conn: asyncpg.Connection, user_id: int) -> str | None:
    value: str | None = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    return value


def totp_purpose(user_id: int) -> str:
    return f"identity.totp:{user_id}"


async def user_secrets(conn: asyncpg.Connection, user_id: int) -> tuple[str | None, bool, str | None]:
    """(TOTP secret, whether TOTP is enabled, LDAP DN) of a user; the secret is kept sealed."""
    row = await conn.fetchrow("SELECT totp_secret, totp_enabled, ldap_dn FROM users WHERE id = $1", user_id)
    if not row:
        return (None, False, None)
    secret = row["totp_secret"]
    opened = open_value(secret, purpose=totp_purpose(user_id)) if secret else None
    return (opened, row["totp_enabled"], row["ldap_dn"])


async def users_by_ids(conn: asyncpg.Connection, ids: list[int]) -> list[User]:
    rows = await conn.fetch(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ANY($1::bigint[])", ids)
    return [user_from_row(r) for r in rows]


async def users_by_hashes(conn: asyncpg.Connection, hashes: list[str]) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {USER_COLUMNS} FROM users u WHERE u.public_hash = ANY($1::text[]) ORDER BY u.id", hashes
    )
    return [user_from_row(r) for r in rows]


async def unit_members(conn: asyncpg.Connection, unit_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {USER_COLUMNS} FROM users u JOIN user_units m ON m.user_id = u.id"
        " WHERE m.unit_id = $1 AND u.is_active ORDER BY u.id",
        unit_id,
    )
    return [user_from_row(r) for r in rows]


def _heads_of_units(units: str) -> str:
    """Active unit and department heads who are members of the units ``units`` selects."""
    return (
        f"SELECT DISTINCT {USER_COLUMNS} FROM users u JOIN user_units m ON m.user_id = u.id"
        f" WHERE m.unit_id {units} AND u.is_active"
        " AND u.role IN ('unit_head', 'department_head') ORDER BY u.id"
    )


async def unit_heads(conn: asyncpg.Connection, unit_ids: list[int]) -> list[User]:
    rows = await conn.fetch(_heads_of_units("= ANY($1::bigint[])"), unit_ids)
    return [user_from_row(r) for r in rows]


async def login_taken(conn: asyncpg.Connection, login: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM users WHERE lower(login) = lower($1)", login))


_PROFILE = (
    "login, full_name, email, phone, role, is_admin, language, client_group_id,"
    " is_client_group_lead, position_id, pushbullet, time_zone"
)


def _profile(new: NewUser) -> tuple[object, ...]:
    """``new``'s values for the ``_PROFILE`` columns, in that order."""
    return (
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
    )


async def _set_units(conn: asyncpg.Connection, user_id: int, unit_ids: list[int]) -> None:
    if unit_ids:
        await conn.executemany(
            "INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)", [(user_id, u) for u in unit_ids]
        )


async def insert_user(conn: asyncpg.Connection, new: NewUser, password_hash: str | None) -> int:
    user_id: int = await conn.fetchval(
        f"INSERT INTO users ({_PROFILE}, password_hash, kind, ldap)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        *_profile(new),
        password_hash,
        new.kind.value,
        new.ldap,
    )
    await _set_units(conn, user_id, new.unit_ids)
    return user_id


async def set_password_hash(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def update_user(conn: asyncpg.Connection, user_id: int, new: NewUser, is_active: bool) -> None:
    await conn.execute(
        f"UPDATE users SET ({_PROFILE}, is_active)"
        " = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) WHERE id = $1",
        user_id,
        *_profile(new),
        is_active,
    )
    await conn.execute("DELETE FROM user_units WHERE user_id = $1", user_id)
    await _set_units(conn, user_id, new.unit_ids)


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
        f"SELECT {USER_COLUMNS} FROM users u WHERE u.id > $1"
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
    return [user_from_row(r) for r in rows]


async def client_group_members(conn: asyncpg.Connection, group_id: int) -> list[User]:
    rows = await conn.fetch(
        f"SELECT {USER_COLUMNS} FROM users u WHERE u.client_group_id = $1 AND u.is_active ORDER BY u.id",
        group_id,
    )
    return [user_from_row(r) for r in rows]


async def heads_of_user(conn: asyncpg.Connection, user_id: int) -> list[User]:
    rows = await conn.fetch(
        _heads_of_units("IN (SELECT unit_id FROM user_units WHERE user_id = $1)"), user_id
    )
    return [user_from_row(r) for r in rows]


async def set_totp(conn: asyncpg.Connection, user_id: int, secret: str | None, enabled: bool) -> None:
    sealed = seal(secret, purpose=totp_purpose(user_id)) if secret else None
    # A new secret (or none) starts afresh: the last step used belonged to the old one.
    await conn.execute(
        "UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = NULL WHERE id = $1",
        user_id,
        sealed,
        enabled,
    )


async def enable_totp(conn: asyncpg.Connection, user_id: int) -> None:
    """Turns the second factor on with the secret set up (which stays as sealed)."""
    await conn.execute("UPDATE users SET totp_enabled = true WHERE id = $1", user_id)


async def use_totp_step(conn: asyncpg.Connection, user_id: int, step: int) -> bool:
    """Records that a code of time step ``step`` was used; False when that step or a later
    one was used already (a replayed code). One statement, so two uses of a code race safely."""
    used: bool | None = await conn.fetchval(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1"
        " AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING true",
        user_id,
        step,
    )
    return used is True


async def user_for_reset(conn: asyncpg.Connection, login_or_email: str) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users u"
        " WHERE (lower(u.login) = lower($1) OR lower(u.email) = lower($1))"
        " AND u.is_active AND NOT u.ldap AND u.email <> '' ORDER BY u.id LIMIT 1",
        login_or_email,
    )
    return user_from_row(row) if row else None


async def email_taken(conn: asyncpg.Connection, email: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM users WHERE lower(email) = lower($1)", email))


async def activate_user(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute("UPDATE users SET is_active = true WHERE id = $1", user_id)


async def insert_inactive(conn: asyncpg.Connection, new: NewUser, password_hash: str | None) -> int:
    user_id = await insert_user(conn, new, password_hash)
    await conn.execute("UPDATE users SET is_active = false WHERE id = $1", user_id)
    return user_id


async def ldap_users(conn: asyncpg.Connection) -> list[tuple[User, str | None]]:
    rows = await conn.fetch(f"SELECT {USER_COLUMNS}, u.ldap_dn FROM users u WHERE u.ldap ORDER BY u.id")
    return [(user_from_row(r), r["ldap_dn"]) for r in rows]


async def set_ldap(conn: asyncpg.Connection, user_id: int, dn: str) -> None:
    await conn.execute(
        "UPDATE users SET ldap = true, ldap_dn = $2, password_hash = NULL WHERE id = $1", user_id, dn
    )
