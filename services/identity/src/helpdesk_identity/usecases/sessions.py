"""Sign-in and sessions: password (or LDAP bind) and TOTP checks, access and refresh tokens,
sign-out, and which sessions still count."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from helpdesk_identity import signing, store
from helpdesk_identity.domain import User
from helpdesk_identity.errors import BadCredentials, BadToken, SecondFactorNeeded
from helpdesk_identity.passwords import hash_password, needs_rehash, verify_password
from helpdesk_identity.ratelimit import Limiter, Limiters
from helpdesk_identity.usecases.credentials import ldap_password_ok
from helpdesk_identity.usecases.revocations import end_session
from helpdesk_identity.usecases.totp import code_accepted
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, InvalidInput
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
    limiters: Limiters,
    login: str,
    password: str,
    totp: str = "",
    address: str = "",
    access_ttl: int,
    refresh_ttl: int,
) -> Tokens:
    """Checks the password (and TOTP code) and opens a session.

    Failed attempts count against the account and the client address; over the
    limit every attempt is refused before any check, so guessing stays slow. A wrong
    or replayed code counts there too, and against the user's TOTP limit.
    """
    limiter = limiters.login
    await limiter.check(login, address)
    async with db.unit_of_work() as uow:
        user = await checked_credentials(
            uow.conn, limiters, login=login, password=password, totp=totp, address=address
        )
        tokens = await _open_session(uow.conn, user, access_ttl=access_ttl, refresh_ttl=refresh_ttl)
        await uow.commit()
    await limiter.clear(login)
    return tokens


async def checked_credentials(
    conn: Any, limiters: Limiters, *, login: str, password: str, totp: str, address: str
) -> User:
    """The active user whose password (an LDAP bind for LDAP users) and TOTP code these are,
    counting a failure against the account and the address; a legacy hash is upgraded.
    The caller has checked the limits (``limiters.login.check``) and commits."""
    limiter = limiters.login
    found = await store.user_by_login(conn, login)
    user, pw_hash = found if found else (None, None)
    if user is not None and user.ldap:
        ok = await ldap_password_ok(conn, user, password)
    else:
        ok = await verify_password(pw_hash, password)
    if user is None or not ok or not user.is_active:
        await limiter.count(login, address)
        raise BadCredentials()
    if not await _second_factor_ok(conn, limiters.totp, user.id, totp):
        if totp:
            await limiter.count(login, address)
        raise SecondFactorNeeded(errors=[FieldError("totp", "wrong code" if totp else "required")])
    if pw_hash is not None and not user.ldap and needs_rehash(pw_hash):
        await store.set_password_hash(conn, user.id, await hash_password(password))
    return user


async def _second_factor_ok(conn: Any, limiter: Limiter, user_id: int, code: str) -> bool:
    secret, enabled, _ = await store.user_secrets(conn, user_id)
    if not enabled or secret is None:
        return True
    return bool(code) and await code_accepted(conn, limiter, user_id, secret, code)


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


REUSE = "refresh_reused"


async def refresh(*, db: Database, refresh_token: str, access_ttl: int) -> Tokens:
    """Spends a live refresh token: the next one and a new access token for its session.

    A session is a family of refresh tokens, each spent by its use. A spent one
    presented again means two parties hold copies (one of them stole it): the whole
    session ends — the thief's current token with it — and the reuse is logged.
    """
    async with db.unit_of_work() as uow:
        found = await store.refresh_token(uow.conn, digest(refresh_token))
        if found is None or not found.session_live:
            raise BadToken("The refresh token is unknown, revoked or expired.")
        if found.spent:
            await end_session(uow, found.session_id, REUSE)
            await uow.commit()
            log.warning("session.refresh_reused", user_id=found.user_id, session_id=str(found.session_id))
            raise BadToken("The refresh token was used already: the session has been ended.")
        users = await store.users_by_ids(uow.conn, [found.user_id])
        if not users or not users[0].is_active:
            raise BadCredentials("The user is disabled.")
        key = await store.active_signing_key(uow.conn)
        if key is None:
            raise RuntimeError("no signing key")
        new_refresh = secrets.token_urlsafe(32)
        await store.rotate_refresh(uow.conn, found.session_id, digest(refresh_token), digest(new_refresh))
        await uow.commit()
    token = signing.access_token(
        user=users[0], kid=key[0], private_pem=key[1], ttl=access_ttl, session_id=str(found.session_id)
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
        await end_session(uow, sid, "logout")
        await uow.commit()


# Ended sessions (and their spent refresh tokens) are kept this long, then forgotten.
ENDED_SESSIONS_KEPT = timedelta(days=1)


async def forget_ended_sessions(*, db: Database) -> int:
    """Deletes sessions that expired or were revoked over a day ago (their refresh tokens
    with them); one replica at a time. How many it deleted."""
    async with db.unit_of_work() as uow:
        if not await uow.conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('identity:sessions-gc'))"):
            return 0
        deleted = await store.delete_ended_sessions(uow.conn, datetime.now(UTC) - ENDED_SESSIONS_KEPT)
        await uow.commit()
    return deleted


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
