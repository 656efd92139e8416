"""Registration and password recovery by mailed one-time links (when switched on).

The links never travel in events: ``UserRegistered`` and ``PasswordResetRequested``
say that a link is due, and notify asks for it (``issue_link``) when it mails it
(docs/adr/0008-trust-between-services.md). Each issued link replaces the unused
ones of the same purpose, so only the newest mailed link works.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from helpdesk_identity import events, store
from helpdesk_identity.domain import Kind, NewUser, User
from helpdesk_identity.errors import InvalidUser
from helpdesk_identity.passwords import hash_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_identity.usecases.checks import check_references
from helpdesk_identity.usecases.revocations import end_api_tokens, end_sessions
from helpdesk_identity.usecases.sessions import digest
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, Forbidden, InvalidInput
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

CONFIRM = "confirm"


RESET = "reset"


@dataclass(frozen=True)
class SelfService:
    """Switches and links of registration and recovery (from the settings)."""

    public_url: str
    registration_enabled: bool
    password_reset_enabled: bool
    token_ttl: int


_PAGES = {CONFIRM: "/auth/confirm", RESET: "/auth/reset"}


async def issue_link(
    *, db: Database, switches: SelfService, purpose: str, user_id: int, requested_at: datetime
) -> str:
    """The one-time link that a registration or a reset request made due; "" when it is no
    longer due (switched off, confirmed already, account gone or disabled, or asked for
    longer ago than a link lives)."""
    if purpose not in _PAGES:
        raise InvalidInput("Unknown link.", errors=[FieldError("purpose", "confirm or reset")])
    enabled = switches.registration_enabled if purpose == CONFIRM else switches.password_reset_enabled
    if not enabled or requested_at < datetime.now(UTC) - timedelta(seconds=switches.token_ttl):
        return ""
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        due = bool(users) and (users[0].is_active == (purpose == RESET))
        if not due:
            return ""
        token = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + timedelta(seconds=switches.token_ttl)
        await store.replace_one_time_token(uow.conn, digest(token), purpose, user_id, expires_at)
        await uow.commit()
    return f"{switches.public_url}{_PAGES[purpose]}?token={token}"


async def register(
    *,
    db: Database,
    switches: SelfService,
    limiter: Limiter,
    email: str,
    password: str,
    full_name: str,
    login: str,
    language: str,
) -> None:
    """A disabled client; the mailed link enables it. Only when registration is switched on.

    Attempts are limited per e-mail address (each one counts), so nobody can have a
    stranger's mailbox flooded with confirmation links.
    """
    if not switches.registration_enabled:
        raise Forbidden("Registration is switched off.")
    await limiter.check(f"register:{email}", "")
    await limiter.count(f"register:{email}", "")
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
        await check_references(uow.conn, new)
        if await store.email_taken(uow.conn, email):
            raise InvalidUser("The e-mail is taken.", errors=[FieldError("email", "already registered")])
        user_id = await store.insert_inactive(uow.conn, new, await hash_password(password))
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.record_event(*events.user_registered(user))
        await uow.commit()
    log.info("user.registered", user_id=user_id)


async def confirm_registration(*, db: Database, token: str) -> User:
    async with db.unit_of_work() as uow:
        user_id = await store.use_one_time_token(uow.conn, digest(token), CONFIRM)
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


async def request_password_reset(
    *, db: Database, switches: SelfService, limiter: Limiter, login_or_email: str
) -> None:
    """Mails a one-time link when the account exists; says nothing either way.

    Requests are limited per login or e-mail asked for, counted whether or not such an
    account exists: the limit bounds the mails an account gets and tells nothing.
    """
    if not switches.password_reset_enabled:
        raise Forbidden("Password recovery is switched off.")
    asked = login_or_email.strip()
    await limiter.check(f"reset:{asked}", "")
    await limiter.count(f"reset:{asked}", "")
    async with db.unit_of_work() as uow:
        user = await store.user_for_reset(uow.conn, asked)
        if user is None:
            log.info("password_reset.unknown_account")
            return
        await uow.record_event(*events.password_reset_requested(user))
        await uow.commit()
    log.info("password_reset.requested", user_id=user.id)


async def confirm_password_reset(
    *, db: Database, switches: SelfService, token: str, new_password: str, ends_api_tokens: bool = True
) -> None:
    """Sets the new password once per link and ends every session of the user (and his API
    tokens when ``ends_api_tokens``)."""
    if not switches.password_reset_enabled:
        raise Forbidden("Password recovery is switched off.")
    if len(new_password) < 8:
        raise InvalidInput(
            "The password is too short.", errors=[FieldError("new_password", "at least 8 characters")]
        )
    async with db.unit_of_work() as uow:
        user_id = await store.use_one_time_token(uow.conn, digest(token), RESET)
        if user_id is None:
            raise _bad_link()
        await store.set_password_hash(uow.conn, user_id, await hash_password(new_password))
        await end_sessions(uow, user_id, "password_reset")
        if ends_api_tokens:
            await end_api_tokens(uow, user_id, "password_reset")
        await uow.commit()
    log.info("password_reset.done", user_id=user_id)
