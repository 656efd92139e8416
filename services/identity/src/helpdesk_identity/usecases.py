"""Identity's use cases: one function each, one transaction each."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pyotp

from helpdesk_identity import events, ldapdir, signing, store
from helpdesk_identity.domain import (
    GroupMapping,
    Kind,
    LdapConfig,
    LdapEntry,
    NewUser,
    Role,
    User,
    search_pattern,
)
from helpdesk_identity.errors import (
    BadCredentials,
    BadToken,
    InvalidUser,
    SecondFactorNeeded,
    UnknownUnit,
    UserNotFound,
)
from helpdesk_identity.passwords import generate_password, hash_password, needs_rehash, verify_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Unavailable
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

ADMIN_LOGIN = "system"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    user: User


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def login(
    *,
    db: Database,
    limiter: Limiter,
    login: str,
    password: str,
    totp: str = "",
    address: str = "",
    access_ttl: int,
    refresh_ttl: int,
) -> Tokens:
    """Checks the password (and TOTP code) and opens a session.

    Failed attempts count against the account and the client address; over the
    limit every attempt is refused before any check, so guessing stays slow.
    """
    await limiter.check(login, address)
    async with db.unit_of_work() as uow:
        found = await store.user_by_login(uow.conn, login)
        user, pw_hash = found if found else (None, None)
        if user is not None and user.ldap:
            ok = await _ldap_password_ok(uow.conn, user, password)
        else:
            ok = await verify_password(pw_hash, password)
        if user is None or not ok or not user.is_active:
            await limiter.failed(login, address)
            raise BadCredentials()
        if not await _second_factor_ok(uow.conn, user.id, totp):
            if totp:
                await limiter.failed(login, address)
            raise SecondFactorNeeded(errors=[FieldError("totp", "wrong code" if totp else "required")])
        if pw_hash is not None and not user.ldap and needs_rehash(pw_hash):
            await store.set_password_hash(uow.conn, user.id, await hash_password(password))
        tokens = await _open_session(uow.conn, user, access_ttl=access_ttl, refresh_ttl=refresh_ttl)
        await uow.commit()
    await limiter.succeeded(login)
    return tokens


async def _ldap_password_ok(conn: Any, user: User, password: str) -> bool:
    """An LDAP user's password is checked by the directory (a bind), never stored here."""
    cfg = await _ldap_config(conn)
    if not cfg.enabled:
        return False
    _, _, dn = await store.user_secrets(conn, user.id)
    try:
        return await ldapdir.check_password(cfg, user.login, dn, password)
    except ldapdir.LdapUnavailable as exc:
        log.warning("ldap.unavailable", error=str(exc))
        raise Unavailable("The directory cannot be reached; try again later.") from None


async def _second_factor_ok(conn: Any, user_id: int, code: str) -> bool:
    secret, enabled, _ = await store.user_secrets(conn, user_id)
    if not enabled or secret is None:
        return True
    return bool(code) and pyotp.TOTP(secret).verify(code, valid_window=1)


async def _open_session(conn: Any, user: User, *, access_ttl: int, refresh_ttl: int) -> Tokens:
    key = await store.active_signing_key(conn)
    if key is None:
        raise RuntimeError("no signing key: run migrations and start identity once")
    refresh = secrets.token_urlsafe(32)
    session_id = await store.insert_session(
        conn, user.id, _digest(refresh), datetime.now(UTC) + timedelta(seconds=refresh_ttl)
    )
    token = signing.access_token(
        user=user, kid=key[0], private_pem=key[1], ttl=access_ttl, session_id=str(session_id)
    )
    return Tokens(token, refresh, user)


async def refresh(*, db: Database, refresh_token: str, access_ttl: int) -> Tokens:
    """Rotates the refresh token of a live session and signs a new access token for it."""
    async with db.unit_of_work() as uow:
        found = await store.session_by_refresh(uow.conn, _digest(refresh_token))
        if found is None:
            raise BadToken("The refresh token is unknown, revoked or expired.")
        session_id, user_id = found
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users or not users[0].is_active:
            raise BadCredentials("The user is disabled.")
        key = await store.active_signing_key(uow.conn)
        if key is None:
            raise RuntimeError("no signing key")
        new_refresh = secrets.token_urlsafe(32)
        await store.rotate_refresh(uow.conn, session_id, _digest(new_refresh))
        await uow.commit()
    token = signing.access_token(
        user=users[0], kid=key[0], private_pem=key[1], ttl=access_ttl, session_id=str(session_id)
    )
    return Tokens(token, new_refresh, users[0])


def _session_uuid(session_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(session_id)
    except ValueError:
        return None


async def logout(*, db: Database, session_id: str) -> None:
    sid = _session_uuid(session_id)
    if sid is None:
        return
    async with db.unit_of_work() as uow:
        await store.revoke_session(uow.conn, sid)
        await uow.commit()


async def session_active(*, db: Database, session_id: str) -> bool:
    sid = _session_uuid(session_id)
    if sid is None:
        return False
    async with db.unit_of_work() as uow:
        return await store.session_active(uow.conn, sid)


MAX_SESSIONS_PER_CHECK = 10_000


async def active_sessions(*, db: Database, session_ids: list[str]) -> list[str]:
    """Which of these sessions still count; malformed ids simply do not."""
    if len(session_ids) > MAX_SESSIONS_PER_CHECK:
        raise InvalidInput(
            "Too many sessions in one check.",
            errors=[FieldError("session_ids", f"at most {MAX_SESSIONS_PER_CHECK}")],
        )
    wanted = {sid: parsed for sid in session_ids if (parsed := _session_uuid(sid)) is not None}
    if not wanted:
        return []
    async with db.unit_of_work() as uow:
        active = await store.active_sessions(uow.conn, list(set(wanted.values())))
    return [sid for sid, parsed in wanted.items() if parsed in active]


# --- personal API tokens ----------------------------------------------------

API_TOKEN_PREFIX = "hd_"


async def create_api_token(
    *, db: Database, actor: User, name: str, expires_in: int
) -> tuple[store.ApiTokenRow, str]:
    """A new token and its secret, which is shown this once and kept only as a hash."""
    name = name.strip()
    errors = []
    if not name or len(name) > 100:
        errors.append(FieldError("name", "1-100 characters"))
    if expires_in < 0:
        errors.append(FieldError("expires_in", "0 (never) or a number of seconds"))
    if errors:
        raise InvalidInput("The token is not valid.", errors=errors)
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in) if expires_in else None
    async with db.unit_of_work() as uow:
        row = await store.insert_api_token(uow.conn, actor.id, name, _digest(secret), expires_at)
        await uow.commit()
    log.info("api_token.created", user_id=actor.id, token_id=row.id)
    return row, secret


async def list_api_tokens(*, db: Database, actor: User) -> list[store.ApiTokenRow]:
    async with db.unit_of_work() as uow:
        return await store.api_tokens_of(uow.conn, actor.id)


async def revoke_api_token(*, db: Database, actor: User, token_id: int) -> None:
    async with db.unit_of_work() as uow:
        if not await store.revoke_api_token(uow.conn, actor.id, token_id):
            raise NotFound("No such token.")
        await uow.commit()


async def authenticate_api_token(*, db: Database, token: str) -> tuple[int, User]:
    if not token.startswith(API_TOKEN_PREFIX):
        raise BadToken()
    async with db.unit_of_work() as uow:
        found = await store.user_by_api_token(uow.conn, _digest(token))
        if found is None:
            raise BadToken()
        await uow.commit()
    return found


# --- TOTP -------------------------------------------------------------------


async def setup_totp(*, db: Database, actor: User) -> tuple[str, str]:
    """A new, not yet enabled secret: (secret, otpauth:// URI for an authenticator app)."""
    async with db.unit_of_work() as uow:
        _, enabled, _ = await store.user_secrets(uow.conn, actor.id)
        if enabled:
            raise Conflict("The second factor is already enabled; disable it first.")
        secret = pyotp.random_base32()
        await store.set_totp(uow.conn, actor.id, secret, False)
        await uow.commit()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=actor.login, issuer_name="Helpdesk")


async def confirm_totp(*, db: Database, actor: User, code: str) -> None:
    async with db.unit_of_work() as uow:
        secret, enabled, _ = await store.user_secrets(uow.conn, actor.id)
        if secret is None or enabled:
            raise Conflict("Set up the second factor first.")
        if not pyotp.TOTP(secret).verify(code, valid_window=1):
            raise InvalidInput("Wrong code.", errors=[FieldError("code", "does not match")])
        await store.set_totp(uow.conn, actor.id, secret, True)
        await uow.commit()


async def disable_totp(*, db: Database, actor: User, code: str) -> None:
    async with db.unit_of_work() as uow:
        secret, enabled, _ = await store.user_secrets(uow.conn, actor.id)
        if enabled and secret is not None and not pyotp.TOTP(secret).verify(code, valid_window=1):
            raise InvalidInput("Wrong code.", errors=[FieldError("code", "does not match")])
        await store.set_totp(uow.conn, actor.id, None, False)
        await uow.commit()


async def ensure_signing_key(*, db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity:signing-key'))")
        if await store.active_signing_key(uow.conn) is None:
            await store.add_signing_key(uow.conn, *signing.new_key_pair())
        await uow.commit()


async def rotate_signing_key(*, db: Database) -> str:
    kid, private_pem, public_pem = signing.new_key_pair()
    async with db.unit_of_work() as uow:
        await store.add_signing_key(uow.conn, kid, private_pem, public_pem)
        await uow.commit()
    return kid


async def verification_keys(*, db: Database, access_ttl: int) -> dict[str, bytes]:
    async with db.unit_of_work() as uow:
        return await store.verification_keys(uow.conn, datetime.now(UTC) - timedelta(seconds=access_ttl + 60))


async def get_users(*, db: Database, ids: list[int]) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.users_by_ids(uow.conn, ids)


async def unit_members(*, db: Database, unit_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.unit_members(uow.conn, unit_id)


async def unit_heads(*, db: Database, unit_ids: list[int]) -> list[User]:
    """The heads of these units: their unit heads and the department heads who are members."""
    async with db.unit_of_work() as uow:
        return await store.unit_heads(uow.conn, unit_ids)


async def _check_references(conn: Any, new: NewUser, user_id: int | None = None) -> None:
    """Login free, units, client group and position existing: else 422 and nothing written."""
    taken = (
        await store.login_taken(conn, new.login)
        if user_id is None
        else await store.login_taken_by_other(conn, new.login, user_id)
    )
    if taken:
        raise InvalidUser("The login is taken.", errors=[FieldError("login", "already taken")])
    missing = set(new.unit_ids) - await store.existing_units(conn, new.unit_ids)
    if missing:
        raise UnknownUnit(
            f"No unit {sorted(missing)}.", errors=[FieldError("unit_ids", f"no unit {sorted(missing)}")]
        )
    errors = []
    if new.client_group_id is not None and not await store.client_group_exists(conn, new.client_group_id):
        errors.append(FieldError("client_group_id", "no such client group"))
    if new.position_id is not None and not await store.position_exists(conn, new.position_id):
        errors.append(FieldError("position_id", "no such position"))
    if errors:
        raise InvalidUser("The user refers to something that does not exist.", errors=errors)


def _require_admin(actor: User, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"Only administrators manage {what}.")


async def create_user(*, db: Database, actor: User, new: NewUser) -> User:
    _require_admin(actor, "users")
    new.validate()
    async with db.unit_of_work() as uow:
        await _check_references(uow.conn, new)
        pw_hash = await hash_password(new.password) if new.password else None
        user_id = await store.insert_user(uow.conn, new, pw_hash)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.created", user_id=user_id, actor_id=actor.id)
    return user


MAX_PAGE = 200


async def list_users(
    *,
    db: Database,
    actor: User | None,
    q: str,
    unit_id: int | None,
    kind: Kind | None,
    after_id: int,
    limit: int,
) -> tuple[list[User], int]:
    """A page of the directory for staff, or for a service asking on its own behalf
    (``actor`` None): (users, the cursor of the next page or 0)."""
    if actor is not None and actor.kind is not Kind.STAFF:
        raise Forbidden("Clients cannot list users.")
    limit = min(max(limit, 1), MAX_PAGE)
    async with db.unit_of_work() as uow:
        users = await store.search_users(
            uow.conn,
            pattern=search_pattern(q) if q.strip() else None,
            unit_id=unit_id,
            kind=kind.value if kind else None,
            after_id=after_id,
            limit=limit + 1,
        )
    more = len(users) > limit
    users = users[:limit]
    return users, users[-1].id if more else 0


async def get_user(*, db: Database, actor: User, user_id: int) -> User:
    """Staff see anyone; a client sees himself only (others are invisible: 404)."""
    if actor.kind is not Kind.STAFF and actor.id != user_id:
        raise UserNotFound()
    users = await get_users(db=db, ids=[user_id])
    if not users:
        raise UserNotFound()
    return users[0]


async def update_user(
    *, db: Database, actor: User, user_id: int, changes: dict[str, Any], password: str | None
) -> User:
    """Applies ``changes`` (NewUser field names, plus ``is_active``), re-checking every rule."""
    _require_admin(actor, "users")
    is_active_change = changes.pop("is_active", None)
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        current = users[0]
        new = current.as_new().with_changes(**changes)
        new.with_changes(password=password).validate()
        await _check_references(uow.conn, new, user_id)
        is_active = current.is_active if is_active_change is None else bool(is_active_change)
        await store.update_user(uow.conn, user_id, new, is_active)
        if password:
            await store.set_password_hash(uow.conn, user_id, await hash_password(password))
        if not is_active:
            await store.revoke_user_sessions(uow.conn, user_id)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.updated", user_id=user_id, actor_id=actor.id, fields=sorted(changes))
    return user


PROFILE_FIELDS = frozenset({"full_name", "email", "phone", "language", "pushbullet", "time_zone"})
# The directory owns these for an LDAP user; a sync would overwrite a local change.
DIRECTORY_FIELDS = frozenset({"full_name", "email"})


async def update_profile(*, db: Database, user_id: int, changes: dict[str, Any]) -> User:
    """The signed-in user changes his own profile: contact data, language, time zone, Pushbullet."""
    assert set(changes) <= PROFILE_FIELDS, set(changes) - PROFILE_FIELDS
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        current = users[0]
        if current.ldap and (locked := sorted(DIRECTORY_FIELDS & set(changes))):
            raise InvalidUser(
                "The directory (LDAP) keeps these fields.",
                errors=[FieldError(f, "kept by the directory") for f in locked],
            )
        new = current.as_new().with_changes(**changes)
        new.validate()
        await store.update_user(uow.conn, user_id, new, current.is_active)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.profile_updated", user_id=user_id, fields=sorted(changes))
    return user


async def change_password(
    *, db: Database, limiter: Limiter, user_id: int, current: str, new: str, keep_session: str
) -> None:
    """Needs the current password (rate-limited like sign-in); revokes every other session."""
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        user = users[0]
        if user.ldap:
            raise Conflict("Your password is kept by the directory (LDAP); change it there.")
        await limiter.check(user.login, "")
        if not await verify_password(await store.password_hash(uow.conn, user_id), current):
            await limiter.failed(user.login, "")
            raise InvalidUser("Wrong password.", errors=[FieldError("current_password", "does not match")])
        user.as_new().with_changes(password=new).validate()
        await store.set_password_hash(uow.conn, user_id, await hash_password(new))
        try:
            keep = uuid.UUID(keep_session) if keep_session else None
        except ValueError:
            keep = None
        await store.revoke_other_sessions(uow.conn, user_id, keep)
        await uow.commit()
    log.info("user.password_changed", user_id=user_id)


async def disable_user(*, db: Database, actor: User, user_id: int) -> User:
    """Users are never deleted: disabling stops sign-in, sessions and API tokens."""
    if actor.id == user_id:
        raise Conflict("You cannot disable yourself.")
    return await update_user(db=db, actor=actor, user_id=user_id, changes={"is_active": False}, password=None)


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("The name is not valid.", errors=[FieldError("name", "1-200 characters")])
    return name


async def update_unit(*, db: Database, actor: User, unit_id: int, name: str) -> tuple[int, str]:
    _require_admin(actor, "units")
    name = _name(name)
    async with db.unit_of_work() as uow:
        try:
            found = await store.update_unit(uow.conn, unit_id, name)
        except asyncpg.UniqueViolationError:
            raise InvalidInput("The unit exists.", errors=[FieldError("name", "already taken")]) from None
        if not found:
            raise NotFound("No such unit.")
        await uow.commit()
    return unit_id, name


async def create_client_group(
    *, db: Database, actor: User, name: str, lead_id: int | None
) -> tuple[int, str, int | None]:
    """A client group; its lead (a client) joins it as the lead."""
    _require_admin(actor, "client groups")
    name = _name(name)
    async with db.unit_of_work() as uow:
        lead = (await store.users_by_ids(uow.conn, [lead_id]))[0:1] if lead_id else []
        if lead_id and (not lead or lead[0].kind is not Kind.CLIENT):
            raise InvalidInput("The lead is not a client.", errors=[FieldError("lead_id", "no such client")])
        group_id = await store.insert_client_group(uow.conn, name, lead_id)
        if group_id is None:
            raise InvalidInput("The client group exists.", errors=[FieldError("name", "already taken")])
        if lead:
            changed = lead[0].as_new().with_changes(client_group_id=group_id, is_client_group_lead=True)
            await store.update_user(uow.conn, lead[0].id, changed, lead[0].is_active)
        await uow.commit()
    return group_id, name, lead_id


async def list_client_groups(*, db: Database) -> list[tuple[int, str, int | None]]:
    async with db.unit_of_work() as uow:
        return await store.all_client_groups(uow.conn)


async def client_group_members(*, db: Database, group_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.client_group_members(uow.conn, group_id)


async def create_position(*, db: Database, actor: User, name: str) -> tuple[int, str]:
    _require_admin(actor, "positions")
    name = _name(name)
    async with db.unit_of_work() as uow:
        position_id = await store.insert_position(uow.conn, name)
        if position_id is None:
            raise InvalidInput("The position exists.", errors=[FieldError("name", "already taken")])
        await uow.commit()
    return position_id, name


async def update_client_group(
    *, db: Database, actor: User, group_id: int, name: str | None, lead_id: int | None, clear_lead: bool
) -> tuple[int, str, int | None]:
    """Renames a client group or changes its lead (a client, who joins the group as its lead)."""
    _require_admin(actor, "client groups")
    async with db.unit_of_work() as uow:
        group = await store.client_group(uow.conn, group_id)
        if group is None:
            raise NotFound("No such client group.")
        new_name = _name(name) if name else group[1]
        new_lead = None if clear_lead else (lead_id or group[2])
        if lead_id and not clear_lead:
            lead = await store.users_by_ids(uow.conn, [lead_id])
            if not lead or lead[0].kind is not Kind.CLIENT:
                raise InvalidInput(
                    "The lead is not a client.", errors=[FieldError("lead_id", "no such client")]
                )
        try:
            await store.update_client_group(uow.conn, group_id, new_name, new_lead)
        except asyncpg.UniqueViolationError:
            raise InvalidInput(
                "The client group exists.", errors=[FieldError("name", "already taken")]
            ) from None
        if new_lead != group[2]:
            await store.set_client_group_lead(uow.conn, group_id, new_lead)
        await uow.commit()
    return group_id, new_name, new_lead


async def delete_client_group(*, db: Database, actor: User, group_id: int) -> None:
    """Its clients stay, without a group (and without the lead flag)."""
    _require_admin(actor, "client groups")
    async with db.unit_of_work() as uow:
        if not await store.delete_client_group(uow.conn, group_id):
            raise NotFound("No such client group.")
        await uow.commit()


async def update_position(*, db: Database, actor: User, position_id: int, name: str) -> tuple[int, str]:
    _require_admin(actor, "positions")
    name = _name(name)
    async with db.unit_of_work() as uow:
        try:
            found = await store.update_position(uow.conn, position_id, name)
        except asyncpg.UniqueViolationError:
            raise InvalidInput("The position exists.", errors=[FieldError("name", "already taken")]) from None
        if not found:
            raise NotFound("No such position.")
        await uow.commit()
    return position_id, name


async def delete_position(*, db: Database, actor: User, position_id: int) -> None:
    """Users holding the position keep their accounts, without a position."""
    _require_admin(actor, "positions")
    async with db.unit_of_work() as uow:
        if not await store.delete_position(uow.conn, position_id):
            raise NotFound("No such position.")
        await uow.commit()


async def delete_unit(*, db: Database, actor: User, unit_id: int) -> None:
    """Only a unit nobody belongs to: move or remove its members first (409 otherwise)."""
    _require_admin(actor, "units")
    async with db.unit_of_work() as uow:
        if await store.unit_has_members(uow.conn, unit_id):
            raise Conflict("The unit still has members: move them to another unit first.")
        if not await store.delete_unit(uow.conn, unit_id):
            raise NotFound("No such unit.")
        await uow.commit()


async def list_positions(*, db: Database) -> list[tuple[int, str]]:
    async with db.unit_of_work() as uow:
        return await store.all_positions(uow.conn)


async def heads_of_user(*, db: Database, user_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.heads_of_user(uow.conn, user_id)


async def create_unit(*, db: Database, actor: User, name: str) -> tuple[int, str]:
    _require_admin(actor, "units")
    name = _name(name)
    async with db.unit_of_work() as uow:
        unit_id = await store.insert_unit(uow.conn, name)
        if unit_id is None:
            raise InvalidInput("The unit exists.", errors=[FieldError("name", "already taken")])
        await uow.commit()
    return unit_id, name


async def list_units(*, db: Database) -> list[tuple[int, str]]:
    async with db.unit_of_work() as uow:
        return await store.all_units(uow.conn)


async def actor_by_id(*, db: Database, user_id: int) -> User | None:
    users = await get_users(db=db, ids=[user_id])
    return users[0] if users and users[0].is_active else None


async def bootstrap_admin(*, db: Database, password: str | None) -> tuple[bool, str | None]:
    """Creates ``system`` once: (whether it was created now, the generated password if any)."""
    async with db.unit_of_work() as uow:
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity:bootstrap'))")
        if await store.login_taken(uow.conn, ADMIN_LOGIN):
            return False, None
        generated = None if password else generate_password()
        new = NewUser(
            login=ADMIN_LOGIN,
            full_name="System",
            kind=Kind.STAFF,
            role=Role.DEPARTMENT_HEAD,
            unit_ids=[],
            is_admin=True,
            password=password or generated,
        )
        new.validate()
        await store.insert_user(uow.conn, new, await hash_password(password or generated or ""))
        await uow.commit()
    log.info("user.admin_created", login=ADMIN_LOGIN)
    return True, generated


# --- registration and password recovery -------------------------------------

CONFIRM = "confirm"
RESET = "reset"


@dataclass(frozen=True)
class SelfService:
    """Switches and links of registration and recovery (from the settings)."""

    public_url: str
    registration_enabled: bool
    password_reset_enabled: bool
    token_ttl: int


async def _one_time_link(conn: Any, purpose: str, user_id: int, ttl: int, url: str) -> str:
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
    await store.insert_one_time_token(conn, _digest(token), purpose, user_id, expires_at)
    return f"{url}?token={token}"


async def register(
    *,
    db: Database,
    switches: SelfService,
    email: str,
    password: str,
    full_name: str,
    login: str,
    language: str,
) -> None:
    """A disabled client; the mailed link enables it. Only when registration is switched on."""
    if not switches.registration_enabled:
        raise Forbidden("Registration is switched off.")
    new = NewUser(
        login=login or email,
        full_name=full_name,
        kind=Kind.CLIENT,
        role=None,
        unit_ids=[],
        email=email,
        language=language or "en",
        password=password,
    )
    errors = [] if email else [FieldError("email", "needed to confirm the registration")]
    try:
        new.validate()
    except InvalidUser as exc:
        errors += exc.errors
    if errors:
        raise InvalidUser("The registration is not valid.", errors=errors)
    async with db.unit_of_work() as uow:
        await _check_references(uow.conn, new)
        if await store.email_taken(uow.conn, email):
            raise InvalidUser("The e-mail is taken.", errors=[FieldError("email", "already registered")])
        user_id = await store.insert_inactive(uow.conn, new, await hash_password(password))
        [user] = await store.users_by_ids(uow.conn, [user_id])
        link = await _one_time_link(
            uow.conn, CONFIRM, user_id, switches.token_ttl, f"{switches.public_url}/auth/confirm"
        )
        await uow.record_event(*events.user_registered(user, link))
        await uow.commit()
    log.info("user.registered", user_id=user_id)


async def confirm_registration(*, db: Database, token: str) -> User:
    async with db.unit_of_work() as uow:
        user_id = await store.use_one_time_token(uow.conn, _digest(token), CONFIRM)
        if user_id is None:
            raise _bad_link()
        await store.activate_user(uow.conn, user_id)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    return user


def _bad_link() -> InvalidInput:
    return InvalidInput(
        "The link is not valid: it was used already or has expired.",
        errors=[FieldError("token", "used or expired")],
    )


async def request_password_reset(*, db: Database, switches: SelfService, login_or_email: str) -> None:
    """Mails a one-time link when the account exists; says nothing either way."""
    if not switches.password_reset_enabled:
        raise Forbidden("Password recovery is switched off.")
    async with db.unit_of_work() as uow:
        user = await store.user_for_reset(uow.conn, login_or_email.strip())
        if user is None:
            log.info("password_reset.unknown_account")
            return
        link = await _one_time_link(
            uow.conn, RESET, user.id, switches.token_ttl, f"{switches.public_url}/auth/reset"
        )
        await uow.record_event(*events.password_reset_requested(user, link))
        await uow.commit()
    log.info("password_reset.requested", user_id=user.id)


async def confirm_password_reset(
    *, db: Database, switches: SelfService, token: str, new_password: str
) -> None:
    """Sets the new password once per link and ends every session of the user."""
    if not switches.password_reset_enabled:
        raise Forbidden("Password recovery is switched off.")
    if len(new_password) < 8:
        raise InvalidInput(
            "The password is too short.", errors=[FieldError("new_password", "at least 8 characters")]
        )
    async with db.unit_of_work() as uow:
        user_id = await store.use_one_time_token(uow.conn, _digest(token), RESET)
        if user_id is None:
            raise _bad_link()
        await store.set_password_hash(uow.conn, user_id, await hash_password(new_password))
        await store.revoke_user_sessions(uow.conn, user_id)
        await uow.commit()
    log.info("password_reset.done", user_id=user_id)


# --- LDAP / Active Directory ------------------------------------------------

LDAP_KEY = "ldap"
SECRET_MASK = "********"


def ldap_config_from(data: dict[str, Any]) -> LdapConfig:
    """Settings as the admin API gives them (JSON) -> LdapConfig; 422 when malformed."""
    try:
        groups = tuple(
            GroupMapping(
                group_dn=str(g["group_dn"]),
                unit_id=int(g["unit_id"]) if g.get("unit_id") else None,
                role=Role(g.get("role") or "unit_member"),
            )
            for g in data.get("groups", [])
        )
        plain = {k: v for k, v in data.items() if k not in ("groups", "default_role")}
        cfg = LdapConfig(**plain, groups=groups, default_role=Role(data.get("default_role", "unit_member")))
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInput(f"The LDAP settings are not valid: {exc}") from None
    cfg.validate()
    return cfg


def ldap_config_out(cfg: LdapConfig) -> dict[str, Any]:
    data = dataclasses.asdict(cfg)
    data["bind_password"] = SECRET_MASK if cfg.bind_password else ""
    data["default_role"] = cfg.default_role.value
    data["groups"] = [
        {"group_dn": g.group_dn, "unit_id": g.unit_id, "role": g.role.value} for g in cfg.groups
    ]
    return data


async def _ldap_config(conn: Any) -> LdapConfig:
    data = await store.get_setting_document(conn, LDAP_KEY)
    return ldap_config_from(data) if data else LdapConfig()


async def get_ldap_settings(*, db: Database, actor: User) -> dict[str, Any]:
    _require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        return ldap_config_out(await _ldap_config(uow.conn))


async def put_ldap_settings(*, db: Database, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Replaces the settings; a masked bind password keeps the stored one."""
    _require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        current = await _ldap_config(uow.conn)
        if data.get("bind_password") == SECRET_MASK:
            data = {**data, "bind_password": current.bind_password}
        cfg = ldap_config_from(data)
        units = {g.unit_id for g in cfg.groups if g.unit_id is not None}
        missing = units - await store.existing_units(uow.conn, list(units))
        if missing:
            raise UnknownUnit(
                f"No unit {sorted(missing)}.", errors=[FieldError("groups", f"no unit {sorted(missing)}")]
            )
        stored = dataclasses.asdict(cfg) | ldap_config_out(cfg) | {"bind_password": cfg.bind_password}
        await store.put_setting_document(uow.conn, LDAP_KEY, stored)
        await uow.commit()
    log.info("ldap.settings_changed", actor_id=actor.id)
    return ldap_config_out(cfg)


async def test_ldap(*, db: Database, actor: User) -> tuple[bool, str, int]:
    """The admin's test button: (worked, what happened, how many users the directory has)."""
    _require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        cfg = await _ldap_config(uow.conn)
    if not cfg.enabled:
        return False, "LDAP is not enabled.", 0
    try:
        entries = await ldapdir.fetch_users(cfg)
    except ldapdir.LdapUnavailable as exc:
        return False, f"The directory failed: {exc}", 0
    return True, f"Connected; {len(entries)} users found.", len(entries)


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    disabled: int = 0


async def sync_ldap(*, db: Database, actor: User | None) -> SyncResult:
    """Imports the directory: new users created, changed ones updated, vanished ones disabled.

    One replica at a time (a transaction advisory lock); the others skip the round.
    """
    if actor is not None:
        _require_admin(actor, "LDAP")
    async with db.unit_of_work() as uow:
        cfg = await _ldap_config(uow.conn)
    if not cfg.enabled:
        raise Conflict("LDAP is not enabled.")
    try:
        entries = await ldapdir.fetch_users(cfg)
    except ldapdir.LdapUnavailable as exc:
        raise Unavailable(f"The directory failed: {exc}") from None
    async with db.unit_of_work() as uow:
        if not await uow.conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('identity:ldap-sync'))"):
            raise Conflict("A sync is already running.")
        result = await _apply_directory(uow.conn, cfg, entries)
        await uow.commit()
    log.info("ldap.synced", created=result.created, updated=result.updated, disabled=result.disabled)
    return result


async def _apply_directory(conn: Any, cfg: LdapConfig, entries: list[LdapEntry]) -> SyncResult:
    known = {u.login.lower(): (u, dn) for u, dn in await store.ldap_users(conn)}
    created = updated = 0
    for e in entries:
        role, units = cfg.role_and_units(set(e.member_of))
        email = e.email if _valid_email(e.email) else ""
        fields = {
            "full_name": e.full_name,
            "email": email,
            "phone": e.phone[:50],
            "role": role,
            "unit_ids": units,
        }
        if e.login.lower() in known:
            user, dn = known.pop(e.login.lower())
            new = user.as_new().with_changes(**fields)
            if new != user.as_new() or dn != e.dn or not user.is_active:
                await store.update_user(conn, user.id, new, True)
                await store.set_ldap(conn, user.id, e.dn)
                updated += 1
        elif not await store.login_taken(conn, e.login):
            new = NewUser(login=e.login, kind=Kind.STAFF, ldap=True, **fields)  # type: ignore[arg-type]
            try:
                new.validate()
            except InvalidUser:
                log.warning("ldap.entry_skipped", dn=e.dn)
                continue
            user_id = await store.insert_user(conn, new, None)
            await store.set_ldap(conn, user_id, e.dn)
            created += 1
        else:
            log.warning("ldap.login_taken_by_local_user", login=e.login)
    disabled = 0
    for user, _ in known.values():
        if user.is_active:
            await store.update_user(conn, user.id, user.as_new(), False)
            await store.revoke_user_sessions(conn, user.id)
            disabled += 1
    return SyncResult(created, updated, disabled)


def _valid_email(email: str) -> bool:
    try:
        NewUser(login="x1", full_name="x", kind=Kind.CLIENT, role=None, unit_ids=[], email=email).validate()
    except InvalidUser:
        return False
    return True
