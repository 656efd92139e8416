"""Identity's use cases: one function each, one transaction each."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from helpdesk_identity import signing, store
from helpdesk_identity.domain import Kind, NewUser, Role, User
from helpdesk_identity.errors import BadCredentials, InvalidUser, UnknownUnit
from helpdesk_identity.passwords import generate_password, hash_password, verify_password
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, Forbidden, InvalidInput
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

ADMIN_LOGIN = "system"


async def login(
    *, db: Database, login: str, password: str, access_ttl: int, refresh_ttl: int
) -> tuple[str, str, User]:
    """Checks the password and opens a session: (access token, refresh token, user)."""
    async with db.unit_of_work() as uow:
        found = await store.user_by_login(uow.conn, login)
        user, pw_hash = found if found else (None, None)
        ok = await verify_password(pw_hash, password)
        if user is None or not ok or not user.is_active:
            raise BadCredentials()
        key = await store.active_signing_key(uow.conn)
        if key is None:
            raise RuntimeError("no signing key: run migrations and start identity once")
        refresh = secrets.token_urlsafe(32)
        session_id = await store.insert_session(
            uow.conn,
            user.id,
            hashlib.sha256(refresh.encode()).digest(),
            datetime.now(UTC) + timedelta(seconds=refresh_ttl),
        )
        await uow.commit()
    token = signing.access_token(
        user=user, kid=key[0], private_pem=key[1], ttl=access_ttl, session_id=str(session_id)
    )
    return token, refresh, user


async def ensure_signing_key(*, db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity:signing-key'))")
        if await store.active_signing_key(uow.conn) is None:
            await store.add_signing_key(uow.conn, *signing.new_key_pair())
        await uow.commit()


async def rotate_signing_key(*, db: Database) -> str:
    kid, private_pem, public_pem = signing.new_key_pair()
    async with db.unit_of_work() as uow:
        await store.add_signing_key(uow.conn, kid, private_pem, public_pem)
        await uow.commit()
    return kid


async def verification_keys(*, db: Database, access_ttl: int) -> dict[str, bytes]:
    async with db.unit_of_work() as uow:
        return await store.verification_keys(uow.conn, datetime.now(UTC) - timedelta(seconds=access_ttl + 60))


async def get_users(*, db: Database, ids: list[int]) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.users_by_ids(uow.conn, ids)


async def unit_members(*, db: Database, unit_id: int) -> list[User]:
    async with db.unit_of_work() as uow:
        return await store.unit_members(uow.conn, unit_id)


async def unit_heads(*, db: Database, unit_ids: list[int]) -> list[User]:
    """The heads of these units: their unit heads and the department heads who are members."""
    async with db.unit_of_work() as uow:
        return await store.unit_heads(uow.conn, unit_ids)


async def create_user(*, db: Database, actor: User, new: NewUser) -> User:
    if not actor.is_admin:
        raise Forbidden("Only administrators manage users.")
    new.validate()
    async with db.unit_of_work() as uow:
        if await store.login_taken(uow.conn, new.login):
            raise InvalidUser("The login is taken.", errors=[FieldError("login", "already taken")])
        missing = set(new.unit_ids) - await store.existing_units(uow.conn, new.unit_ids)
        if missing:
            raise UnknownUnit(f"No unit {sorted(missing)}.")
        pw_hash = await hash_password(new.password) if new.password else None
        user_id = await store.insert_user(uow.conn, new, pw_hash)
        [user] = await store.users_by_ids(uow.conn, [user_id])
        await uow.commit()
    log.info("user.created", user_id=user_id, actor_id=actor.id)
    return user


async def create_unit(*, db: Database, actor: User, name: str) -> tuple[int, str]:
    if not actor.is_admin:
        raise Forbidden("Only administrators manage units.")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("The unit is not valid.", errors=[FieldError("name", "1-200 characters")])
    async with db.unit_of_work() as uow:
        unit_id = await store.insert_unit(uow.conn, name)
        if unit_id is None:
            raise InvalidInput("The unit exists.", errors=[FieldError("name", "already taken")])
        await uow.commit()
    return unit_id, name


async def list_units(*, db: Database) -> list[tuple[int, str]]:
    async with db.unit_of_work() as uow:
        return await store.all_units(uow.conn)


async def actor_by_id(*, db: Database, user_id: int) -> User | None:
    users = await get_users(db=db, ids=[user_id])
    return users[0] if users and users[0].is_active else None


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
