"""The second factor (TOTP): set up, confirm, disable."""

from __future__ import annotations

import pyotp

from helpdesk_identity import store
from helpdesk_identity.domain import User
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError, InvalidInput


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
