"""Passports: the short-lived tokens identity signs for internal calls.

A passport carries the user's role, units and admin flag as they are *now*: the
gateway and realtime fetch one per session every few seconds, so a user who is
disabled, demoted or loses the admin flag loses those rights at every service
within seconds, not when his access token expires (docs/adr/0008-trust-between-services.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from helpdesk_identity import signing, store
from helpdesk_identity.domain import User
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, InvalidInput

MAX_SESSIONS_PER_CHECK = 10_000


def _session_uuid(session_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(session_id)
    except ValueError:
        return None


async def _sign_all(conn: Any, subjects: dict[str, User], ttl: int) -> dict[str, str]:
    key = await store.active_signing_key(conn)
    if key is None:
        raise RuntimeError("no signing key: run migrations and start identity once")
    kid, pem = key
    return {
        sid: signing.passport(user=user, kid=kid, private_pem=pem, ttl=ttl, session_id=sid)
        for sid, user in subjects.items()
    }


async def for_sessions(*, db: Database, session_ids: list[str], ttl: int) -> dict[str, str]:
    """A fresh passport for each of these sessions that still counts (not revoked, not
    expired, user active); malformed or dead ones are simply absent."""
    if len(session_ids) > MAX_SESSIONS_PER_CHECK:
        raise InvalidInput(
            "Too many sessions in one check.",
            errors=[FieldError("session_ids", f"at most {MAX_SESSIONS_PER_CHECK}")],
        )
    wanted = {sid: parsed for sid in session_ids if (parsed := _session_uuid(sid)) is not None}
    if not wanted:
        return {}
    async with db.unit_of_work() as uow:
        users = await store.active_session_users(uow.conn, list(set(wanted.values())))
        live = {sid: users[parsed] for sid, parsed in wanted.items() if parsed in users}
        return await _sign_all(uow.conn, live, ttl)


async def for_api_token(*, db: Database, token_id: int, user: User, ttl: int) -> str:
    """A passport for a call made with a personal API token (its "session" is the token)."""
    sid = f"api:{token_id}"
    async with db.unit_of_work() as uow:
        return (await _sign_all(uow.conn, {sid: user}, ttl))[sid]
