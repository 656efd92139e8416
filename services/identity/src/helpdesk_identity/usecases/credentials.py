"""What a user knows: his password (kept here, or checked by an LDAP bind), and the current
password asked again before changes a stolen session must not make alone."""

from __future__ import annotations

from typing import Any

from helpdesk_identity import ldapdir, store
from helpdesk_identity.domain import User
from helpdesk_identity.errors import InvalidUser
from helpdesk_identity.passwords import verify_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_identity.usecases.ldap_directory import stored_ldap_config
from helpdesk_kit.errors import FieldError, Unavailable
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


async def ldap_password_ok(conn: Any, user: User, password: str) -> bool:
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


async def require_current_password(conn: Any, limiter: Limiter, user: User, password: str) -> None:
    """The user's current password, or 422 on ``current_password`` — counted like a failed
    sign-in, and over the limit refused with 429 before any check."""
    await limiter.check(user.login, "")
    if user.ldap:
        ok = bool(password) and await ldap_password_ok(conn, user, password)
    else:
        ok = bool(password) and await verify_password(await store.password_hash(conn, user.id), password)
    if not ok:
        await limiter.count(user.login, "")
        raise InvalidUser(
            "Wrong password.",
            errors=[FieldError("current_password", "does not match" if password else "required")],
        )
