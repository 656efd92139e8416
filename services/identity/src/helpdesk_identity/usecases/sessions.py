"""Sign-in and sessions: password (or LDAP bind) and TOTP checks, access and refresh tokens,
sign-out, and which sessions still count."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from helpdesk_identity import ldapdir, signing, store
from helpdesk_identity.domain import User
from helpdesk_identity.errors import BadCredentials, BadToken, SecondFactorNeeded
from helpdesk_identity.passwords import hash_password, needs_rehash, verify_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_identity.usecases.ldap_directory import stored_ldap_config
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, InvalidInput, Unavailable
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    user: User


def digest(secret: str) -> bytes:
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
    cfg = await stored_ldap_config(conn)
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
        conn, user.id, digest(refresh), datetime.now(UTC) + timedelta(seconds=refresh_ttl)
    )
    token = signing.access_token(
        user=user, kid=key[0], private_pem=key[1], ttl=access_ttl, session_id=str(session_id)
    )
    return Tokens(token, refresh, user)


async def refresh(*, db: Database, refresh_token: str, access_ttl: int) -> Tokens:
    """Rotates the refresh token of a live session and signs a new access token for it."""
    async with db.unit_of_work() as uow:
        found = await store.session_by_refresh(uow.conn, digest(refresh_token))
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
        await store.rotate_refresh(uow.conn, session_id, digest(new_refresh))
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
