"""Users: created and changed by admins, profiles and passwords by themselves, never deleted
(disabled instead); the ``system`` administrator made once."""

from __future__ import annotations

import uuid
from typing import Any

from helpdesk_identity import store
from helpdesk_identity.domain import Kind, NewUser, Role, User, search_pattern
from helpdesk_identity.errors import InvalidUser, UserNotFound
from helpdesk_identity.passwords import generate_password, hash_password, verify_password
from helpdesk_identity.ratelimit import Limiter
from helpdesk_identity.usecases.checks import check_references, require_admin
from helpdesk_identity.usecases.lookups import get_users
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
    *, db: Database, actor: User, user_id: int, changes: dict[str, Any], password: str | None
) -> User:
    """Applies ``changes`` (NewUser field names, plus ``is_active``), re-checking every rule."""
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
        if not is_active:
            await store.revoke_user_sessions(uow.conn, user_id)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.updated", user_id=user_id, actor_id=actor.id, fields=sorted(changes))
    return user


PROFILE_FIELDS = frozenset({"full_name", "email", "phone", "language", "pushbullet", "time_zone"})


# The directory owns these for an LDAP user; a sync would overwrite a local change.
DIRECTORY_FIELDS = frozenset({"full_name", "email"})


async def update_profile(*, db: Database, user_id: int, changes: dict[str, Any]) -> User:
    """The signed-in user changes his own profile: contact data, language, time zone, Pushbullet."""
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
        await store.update_user(uow.conn, user_id, new, current.is_active)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.profile_updated", user_id=user_id, fields=sorted(changes))
    return user


async def change_password(
    *, db: Database, limiter: Limiter, user_id: int, current: str, new: str, keep_session: str
) -> None:
    """Needs the current password (rate-limited like sign-in); revokes every other session."""
    async with db.unit_of_work() as uow:
        users = await store.users_by_ids(uow.conn, [user_id])
        if not users:
            raise UserNotFound()
        user = users[0]
        if user.ldap:
            raise Conflict("Your password is kept by the directory (LDAP); change it there.")
        await limiter.check(user.login, "")
        if not await verify_password(await store.password_hash(uow.conn, user_id), current):
            await limiter.failed(user.login, "")
            raise InvalidUser("Wrong password.", errors=[FieldError("current_password", "does not match")])
        user.as_new().with_changes(password=new).validate()
        await store.set_password_hash(uow.conn, user_id, await hash_password(new))
        try:
            keep = uuid.UUID(keep_session) if keep_session else None
        except ValueError:
            keep = None
        await store.revoke_other_sessions(uow.conn, user_id, keep)
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
