"""Users: created and changed by admins, profiles and passwords by themselves, never deleted
(disabled instead); the ``system`` administrator made once."""

from __future__ import annotations

import uuid
from typing import Any

from helpdesk_identity import store
from helpdesk_identity.domain import Kind, NewUser, Role, User, search_pattern
from helpdesk_identity.errors import InvalidUser, UserNotFound
from helpdesk_identity.passwords import generate_password, hash_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_identity.usecases.checks import check_references, require_admin
from helpdesk_identity.usecases.credentials import require_current_password
from helpdesk_identity.usecases.lookups import get_users
from helpdesk_identity.usecases.revocations import announce_change, end_api_tokens, end_sessions
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Conflict, FieldError, Forbidden
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

ADMIN_LOGIN = "system"


async def create_user(*, db: Database, actor: User, new: NewUser) -> User:
    require_admin(actor, "users")
    new.validate()
    async with db.unit_of_work() as uow:
        await check_references(uow.conn, new)
        pw_hash = await hash_password(new.password) if new.password else None
        user_id = await store.insert_user(uow.conn, new, pw_hash)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.created", user_id=user_id, actor_id=actor.id)
    return user


MAX_PAGE = 200


async def list_users(
    *,
    db: Database,
    actor: User | None,
    q: str,
    unit_id: int | None,
    kind: Kind | None,
    after_id: int,
    limit: int,
) -> tuple[list[User], int]:
    """A page of the directory for staff, or for a service asking on its own behalf
    (``actor`` None): (users, the cursor of the next page or 0)."""
    if actor is not None and actor.kind is not Kind.STAFF:
        raise Forbidden("Clients cannot list users.")
    limit = min(max(limit, 1), MAX_PAGE)
    async with db.unit_of_work() as uow:
        users = await store.search_users(
            uow.conn,
            pattern=search_pattern(q) if q.strip() else None,
            unit_id=unit_id,
            kind=kind.value if kind else None,
            after_id=after_id,
            limit=limit + 1,
        )
    more = len(users) > limit
    users = users[:limit]
    return users, users[-1].id if more else 0


async def get_user(*, db: Database, actor: User, user_id: int) -> User:
    """Staff see anyone; a client sees himself only (others are invisible: 404)."""
    if actor.kind is not Kind.STAFF and actor.id != user_id:
        raise UserNotFound()
    users = await get_users(db=db, ids=[user_id])
    if not users:
        raise UserNotFound()
    return users[0]


async def update_user(
    *,
    db: Database,
    actor: User,
    user_id: int,
    changes: dict[str, Any],
    password: str | None,
    password_ends_api_tokens: bool = True,
) -> User:
    """Applies ``changes`` (NewUser field names, plus ``is_active``), re-checking every rule.

    A password set by an admin ends every session of the user (someone else may know the
    old one), and his API tokens when ``password_ends_api_tokens``; disabling ends his
    sessions; a change of his rights is announced so passports are renewed at once.
    """
    require_admin(actor, "users")
    is_active_change = changes.pop("is_active", None)
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        current = users[0]
        new = current.as_new().with_changes(**changes)
        new.with_changes(password=password).validate()
        await check_references(uow.conn, new, user_id)
        is_active = current.is_active if is_active_change is None else bool(is_active_change)
        await store.update_user(uow.conn, user_id, new, is_active)
        if password:
            await store.set_password_hash(uow.conn, user_id, await hash_password(password))
            await end_sessions(uow, user_id, "password_set")
            if password_ends_api_tokens:
                await end_api_tokens(uow, user_id, "password_set")
        if not is_active:
            await end_sessions(uow, user_id, "disabled")
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await announce_change(uow, current, user)
        await uow.commit()
    log.info(
        "user.updated", user_id=user_id, actor_id=actor.id, fields=sorted(changes), password=bool(password)
    )
    return user


PROFILE_FIELDS = frozenset({"full_name", "email", "phone", "language", "pushbullet", "time_zone"})


# The directory owns these for an LDAP user; a sync would overwrite a local change.
DIRECTORY_FIELDS = frozenset({"full_name", "email"})


async def update_profile(
    *, db: Database, limiter: Limiter, user_id: int, changes: dict[str, Any], current_password: str = ""
) -> User:
    """The signed-in user changes his own profile: contact data, language, time zone, Pushbullet.

    A new e-mail needs the current password (checked like a sign-in): reset links go to
    that address, so whoever changes it could take the account over.
    """
    assert set(changes) <= PROFILE_FIELDS, set(changes) - PROFILE_FIELDS
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        current = users[0]
        if current.ldap and (locked := sorted(DIRECTORY_FIELDS & set(changes))):
            raise InvalidUser(
                "The directory (LDAP) keeps these fields.",
                errors=[FieldError(f, "kept by the directory") for f in locked],
            )
        new = current.as_new().with_changes(**changes)
        new.validate()
        if new.email.lower() != current.email.lower():
            await require_current_password(uow.conn, limiter, current, current_password)
        await store.update_user(uow.conn, user_id, new, current.is_active)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.profile_updated", user_id=user_id, fields=sorted(changes))
    return user


async def change_password(
    *,
    db: Database,
    limiter: Limiter,
    user_id: int,
    current: str,
    new: str,
    keep_session: str,
    ends_api_tokens: bool = True,
) -> None:
    """Needs the current password (rate-limited like sign-in); ends every other session, and
    the user's API tokens when ``ends_api_tokens`` (HELPDESK_PASSWORD_CHANGE_ENDS_API_TOKENS):
    whoever knew the old password may have made one."""
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        user = users[0]
        if user.ldap:
            raise Conflict("Your password is kept by the directory (LDAP); change it there.")
        await require_current_password(uow.conn, limiter, user, current)
        user.as_new().with_changes(password=new).validate()
        await store.set_password_hash(uow.conn, user_id, await hash_password(new))
        try:
            keep = uuid.UUID(keep_session) if keep_session else None
        except ValueError:
            keep = None
        await end_sessions(uow, user_id, "password_changed", keep=keep)
        if ends_api_tokens:
            await end_api_tokens(uow, user_id, "password_changed")
        await uow.commit()
    log.info("user.password_changed", user_id=user_id)


async def disable_user(*, db: Database, actor: User, user_id: int) -> User:
    """Users are never deleted: disabling stops sign-in, sessions and API tokens."""
    if actor.id == user_id:
        raise Conflict("You cannot disable yourself.")
    return await update_user(db=db, actor=actor, user_id=user_id, changes={"is_active": False}, password=None)


async def bootstrap_admin(*, db: Database, password: str | None) -> tuple[bool, str | None]:
    """Creates ``system`` once: (whether it was created now, the generated password if any)."""
    async with db.unit_of_work() as uow:
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity:bootstrap'))")
        if await store.login_taken(uow.conn, ADMIN_LOGIN):
            return False, None
        generated = None if password else generate_password()
        new = NewUser(
            login=ADMIN_LOGIN,
            full_name="System",
            kind=Kind.STAFF,
            role=Role.DEPARTMENT_HEAD,
            unit_ids=[],
            is_admin=True,
            password=password or generated,
        )
        new.validate()
        await store.insert_user(uow.conn, new, await hash_password(password or generated or ""))
        await uow.commit()
    log.info("user.admin_created", login=ADMIN_LOGIN)
    return True, generated
