"""Personal API tokens: the secret is shown once and kept only as its hash."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from helpdesk_identity import store
from helpdesk_identity.domain import User
from helpdesk_identity.errors import BadToken
from helpdesk_identity.usecases.revocations import end_api_token
from helpdesk_identity.usecases.sessions import digest
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, InvalidInput, NotFound
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

API_TOKEN_PREFIX = "hd_"
# A token lives at most ten years: a longer life is "never" in practice, and a date past
# year 9999 cannot even be written down (it failed deep in the code as a server error).
MAX_TOKEN_SECONDS = 10 * 366 * 86_400


async def create_api_token(
    *, db: Database, actor: User, name: str, expires_in: int, expires_at: datetime | None = None
) -> tuple[store.ApiTokenRow, str]:
    """A new token and its secret, which is shown this once and kept only as a hash.
    Its life is given in seconds (``expires_in``, 0 = for ever) or as a moment (``expires_at``)."""
    name = name.strip()
    errors = []
    if not name or len(name) > 100 or not name.isprintable():
        errors.append(FieldError("name", "1-100 characters, no control characters"))
    if not 0 <= expires_in <= MAX_TOKEN_SECONDS:
        errors.append(FieldError("expires_in", f"0 (never) or up to {MAX_TOKEN_SECONDS} seconds"))
    now = datetime.now(UTC)
    if expires_at is not None:
        if expires_in:
            errors.append(FieldError("expires_at", "give either expires_at or expires_in, not both"))
        elif not now < expires_at <= now + timedelta(seconds=MAX_TOKEN_SECONDS):
            errors.append(FieldError("expires_at", "a moment in the future, at most ten years ahead"))
    if errors:
        raise InvalidInput("The token is not valid.", errors=errors)
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    if expires_at is None and expires_in:
        expires_at = now + timedelta(seconds=expires_in)
    async with db.unit_of_work() as uow:
        row = await store.insert_api_token(uow.conn, actor.id, name, digest(secret), expires_at)
        await uow.commit()
    log.info("api_token.created", user_id=actor.id, token_id=row.id)
    return row, secret


async def list_api_tokens(*, db: Database, actor: User) -> list[store.ApiTokenRow]:
    async with db.unit_of_work() as uow:
        return await store.api_tokens_of(uow.conn, actor.id)


async def revoke_api_token(*, db: Database, actor: User, token_id: int) -> None:
    """Revokes one of the actor's tokens; every gateway refuses it from the next request on."""
    async with db.unit_of_work() as uow:
        if not await end_api_token(uow, actor.id, token_id):
            raise NotFound("No such token.")
        await uow.commit()
    log.info("api_token.revoked", user_id=actor.id, token_id=token_id)


async def authenticate_api_token(*, db: Database, token: str) -> tuple[int, User]:
    if not token.startswith(API_TOKEN_PREFIX):
        raise BadToken()
    async with db.unit_of_work() as uow:
        found = await store.user_by_api_token(uow.conn, digest(token))
        if found is None:
            raise BadToken()
        await uow.commit()
    return found
