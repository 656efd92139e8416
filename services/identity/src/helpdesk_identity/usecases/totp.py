"""The second factor (TOTP): set up, confirm, disable, and a code checked at most once.

A code is accepted one 30-second step early or late, and only once: the last step
used is kept per user and a code of that step or an earlier one is refused (a code
seen over a shoulder or in a log cannot be played again). Wrong codes count against
the user's TOTP limiter, at sign-in as here.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import pyotp

from helpdesk_identity import store
from helpdesk_identity.domain import User
from helpdesk_identity.ratelimit import Limiter, Limiters
from helpdesk_identity.usecases.credentials import require_current_password
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError, InvalidInput
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

# Steps either side of now whose codes still count (clocks drift, people type slowly).
DRIFT_STEPS = 1


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is (within the drift), or None."""
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // totp.interval)
    code = code.strip()
    if not (code.isascii() and code.isdigit()):
        return None  # compare_digest takes no other text, and no such code can match
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def code_accepted(conn: Any, limiter: Limiter, user_id: int, secret: str, code: str) -> bool:
    """Checks a code for the user (in the caller's transaction): refused before any check while
    the user's TOTP limit is reached; a wrong or replayed code is counted against it."""
    await limiter.check(str(user_id), "")
    step = matching_step(secret, code) if code else None
    if step is None or not await store.use_totp_step(conn, user_id, step):
        await limiter.count(str(user_id), "")
        log.info("totp.refused", user_id=user_id, replayed=step is not None)
        return False
    await limiter.clear(str(user_id))
    return True


def _wrong_code() -> InvalidInput:
    return InvalidInput("Wrong code.", errors=[FieldError("code", "does not match")])


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


async def confirm_totp(*, db: Database, limiters: Limiters, actor: User, code: str) -> None:
    async with db.unit_of_work() as uow:
        secret, enabled, _ = await store.user_secrets(uow.conn, actor.id)
        if secret is None or enabled:
            raise Conflict("Set up the second factor first.")
        if not await code_accepted(uow.conn, limiters.totp, actor.id, secret, code):
            raise _wrong_code()
        await store.enable_totp(uow.conn, actor.id)
        await uow.commit()
    log.info("totp.enabled", user_id=actor.id)


async def disable_totp(*, db: Database, limiters: Limiters, actor: User, code: str, password: str) -> None:
    """Needs the current password (counted like a sign-in when wrong) and, while the factor
    is on, a code: a stolen session alone cannot take the second factor away."""
    async with db.unit_of_work() as uow:
        secret, enabled, _ = await store.user_secrets(uow.conn, actor.id)
        await require_current_password(uow.conn, limiters.login, actor, password)
        if (
            enabled
            and secret is not None
            and not await code_accepted(uow.conn, limiters.totp, actor.id, secret, code)
        ):
            raise _wrong_code()
        await store.set_totp(uow.conn, actor.id, None, False)
        await uow.commit()
    log.info("totp.disabled", user_id=actor.id)
