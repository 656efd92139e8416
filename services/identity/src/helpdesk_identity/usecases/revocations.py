"""What ends or changes a user's access, done and announced in the caller's transaction.

Each step records its fact in the outbox (``SessionRevoked``, ``ApiTokenRevoked``,
``UserChanged``), so the gateway and realtime replicas drop what they hold at once;
their periodic re-check (a few seconds) stays the fallback while NATS is away.
"""

from __future__ import annotations

import uuid

from helpdesk_identity import events, store
from helpdesk_identity.domain import User, rights_changed
from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


async def end_sessions(uow: UnitOfWork, user_id: int, reason: str, *, keep: uuid.UUID | None = None) -> None:
    """Ends every live session of the user (but ``keep``)."""
    ended = await store.revoke_user_sessions(uow.conn, user_id, reason, keep)
    if ended:
        await uow.record_event(*events.session_revoked(user_id, ended, reason))
        log.info("sessions.revoked", user_id=user_id, count=len(ended), reason=reason)


async def end_session(uow: UnitOfWork, session_id: uuid.UUID, reason: str) -> None:
    user_id = await store.revoke_session(uow.conn, session_id, reason)
    if user_id is not None:
        await uow.record_event(*events.session_revoked(user_id, [str(session_id)], reason))


async def end_api_tokens(uow: UnitOfWork, user_id: int, reason: str) -> None:
    revoked = await store.revoke_user_api_tokens(uow.conn, user_id)
    if revoked:
        await uow.record_event(*events.api_token_revoked(user_id, revoked, reason))
        log.info("api_tokens.revoked", user_id=user_id, count=len(revoked), reason=reason)


async def end_api_token(uow: UnitOfWork, user_id: int, token_id: int, *, kind: str = store.API) -> bool:
    """Revokes one of the user's tokens (or ZENLIX keys); False when he has no such live one."""
    if not await store.revoke_api_token(uow.conn, user_id, token_id, kind=kind):
        return False
    await uow.record_event(*events.api_token_revoked(user_id, [token_id], "revoked"))
    return True


async def announce_change(uow: UnitOfWork, before: User, after: User) -> None:
    """``UserChanged`` when the change touches what his passports say (or whether he is active)."""
    if rights_changed(before, after):
        await uow.record_event(*events.user_changed(after))


async def announce_changed_ids(uow: UnitOfWork, user_ids: set[int] | list[int]) -> None:
    """``UserChanged`` for users a bulk statement changed (a client group's members or lead)."""
    for user in await store.users_by_ids(uow.conn, sorted(user_ids)):
        await uow.record_event(*events.user_changed(user))
