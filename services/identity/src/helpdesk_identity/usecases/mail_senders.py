"""What mail intake (mailin) asks of the directory: who holds an e-mail address, a client
for an unknown sender (when the mailbox says so), and a passport to act as the sender.

These are open to mailin only (its certificate; see proto/helpdesk/identity/v1). A client
made here is active but has no usable password: he signs in after password recovery
(docs/product/mail-intake.md). Nothing here may make staff, admins or group leads.
"""

from __future__ import annotations

import re
import secrets

from helpdesk_identity import passports, store
from helpdesk_identity.domain import Kind, NewUser, User
from helpdesk_identity.errors import InvalidUser, UserNotFound
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _checked_email(email: str) -> str:
    address = email.strip()
    if not _EMAIL.match(address) or len(address) > 320:
        raise InvalidUser("Not an e-mail address.", errors=[FieldError("email", "is not an e-mail address")])
    return address


def login_candidates(email: str) -> list[str]:
    """Logins to try for a new mail client: the address itself when it makes a valid login,
    then its local part, then the local part with a number."""
    local = _LOGIN_CHARS.sub("", email.split("@", 1)[0]).strip("._-")[:48] or "client"
    if not local[0].isalnum():
        local = f"c{local}"
    first = [email] if len(email) <= 64 and re.match(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$", email) else []
    return [*first, local, *(f"{local}-{n}" for n in range(2, 50))]


async def find_users_by_email(*, db: Database, email: str) -> list[User]:
    """Every account holding the address (any case), active or not, oldest first."""
    async with db.unit_of_work() as uow:
        return await store.users_by_email(uow.conn, _checked_email(email))


async def create_mail_client(*, db: Database, email: str, full_name: str, language: str) -> User:
    """An active client for ``email``; the account already holding it when there is one
    (two mails of a new sender at once, or a retry, make one client)."""
    address = _checked_email(email)
    name = " ".join(full_name.split())[:200] or address.split("@", 1)[0]
    async with db.unit_of_work() as uow:
        # One creation per address at a time: the second waits, then finds the first's client.
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"mail-client:{address.lower()}")
        existing = await store.users_by_email(uow.conn, address)
        if existing:
            return existing[0]
        for login in login_candidates(address):
            if not await store.login_taken(uow.conn, login):
                break
        else:
            raise Conflict("No free login for this address.")
        new = NewUser(
            login=login,
            full_name=name,
            kind=Kind.CLIENT,
            role=None,
            unit_ids=[],
            email=address,
            language=language if language in ("en", "ru") else "en",
        )
        new.validate()
        # No password: the client signs in after password recovery, never with one we chose.
        user_id = await store.insert_user(uow.conn, new, None)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.mail_client_created", user_id=user_id)
    return user


async def issue_passport(*, db: Database, user_id: int, ttl: int) -> str:
    """A passport of an active user for mail intake (its "session": ``mail:<user id>``)."""
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
    if not users or not users[0].is_active:
        raise UserNotFound("No such active user.")
    # A fresh random suffix: passports of different mails are told apart in logs.
    return await passports.for_user(db=db, user=users[0], session_id=f"mail:{secrets.token_hex(4)}", ttl=ttl)
