"""ZENLIX API keys: ZENLIX's ``auth`` (a sign-in that issues a key instead of opening a
session), keys made and revoked in the profile, the user behind a key, and the users
ZENLIX's API names by their public hash.

A key looks like ZENLIX's own (32 hexadecimal characters), so clients that keep ZENLIX
keys keep working; it is kept only as its SHA-256 and shown once, and it opens ZENLIX's
JSON API only, never the REST API. ZENLIX returned one static key on every ``auth``;
ours cannot (it is not kept), so each ``auth`` issues a new one: the one a device had
before is revoked (ZENLIX replaced the device's registration too), and of the keys made
without a device only the newest few stay, so a script that signs in on every run does
not pile them up.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from helpdesk_identity import events, store
from helpdesk_identity.domain import Kind, User
from helpdesk_identity.errors import BadToken
from helpdesk_identity.ratelimit import Limiters
from helpdesk_identity.usecases.revocations import end_api_token
from helpdesk_identity.usecases.sessions import checked_credentials, digest
from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError, InvalidInput, NotFound
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

# Keys ``auth`` made without a device token that stay valid: a few integrations of one
# account may sign in side by side; the oldest beyond these are revoked.
SIGN_IN_KEYS_KEPT = 5
MAX_HASHES = 100
_KEY = re.compile(r"^[0-9a-f]{32}$")


def device_of(device_token: str) -> str:
    """What binds a key to a device: the push token's SHA-256 (the token itself is not kept);
    "" for a sign-in that named no device."""
    return hashlib.sha256(device_token.encode()).hexdigest() if device_token else ""


async def sign_in(
    *, db: Database, limiters: Limiters, login: str, password: str, address: str, device_token: str
) -> tuple[store.ApiTokenRow, str, User]:
    """ZENLIX's ``auth``: the credentials checked like a sign-in (rate limits included; users
    with TOTP on are refused, the app cannot send a code) → (the key, its secret, the user)."""
    await limiters.login.check(login, address)
    device = device_of(device_token)
    async with db.unit_of_work() as uow:
        user = await checked_credentials(
            uow.conn, limiters, login=login, password=password, totp="", address=address
        )
        if device:
            revoked = await store.revoke_device_keys(uow.conn, user.id, device)
            name = f"ZENLIX app {device[:8]}"
        else:
            revoked = await store.revoke_all_but_newest_keys(uow.conn, user.id, device, SIGN_IN_KEYS_KEPT - 1)
            name = "ZENLIX sign-in"
        if revoked:  # every gateway drops them at once
            await uow.record_event(*events.api_token_revoked(user.id, revoked, "replaced"))
        secret = secrets.token_hex(16)
        row = await store.insert_api_token(
            uow.conn, user.id, name, digest(secret), None, kind=store.ZENLIX, device=device
        )
        await uow.commit()
    await limiters.login.clear(login)
    log.info("zenlix_key.signed_in", user_id=user.id, token_id=row.id, device=bool(device))
    return row, secret, user


async def create_key(*, db: Database, actor: User, name: str) -> tuple[store.ApiTokenRow, str]:
    """A key made in the profile; its secret is shown this once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("The key is not valid.", errors=[FieldError("name", "1-100 characters")])
    secret = secrets.token_hex(16)
    async with db.unit_of_work() as uow:
        row = await store.insert_api_token(uow.conn, actor.id, name, digest(secret), None, kind=store.ZENLIX)
        await uow.commit()
    log.info("zenlix_key.created", user_id=actor.id, token_id=row.id)
    return row, secret


async def list_keys(*, db: Database, actor: User) -> list[store.ApiTokenRow]:
    async with db.unit_of_work() as uow:
        return await store.api_tokens_of(uow.conn, actor.id, kind=store.ZENLIX)


async def revoke_key(*, db: Database, actor: User, token_id: int) -> None:
    """Revokes one of the actor's keys; every gateway refuses it from the next request on."""
    async with db.unit_of_work() as uow:
        if not await end_api_token(uow, actor.id, token_id, kind=store.ZENLIX):
            raise NotFound("No such key.")
        await uow.commit()


async def forget_device(*, db: Database, actor: User, device_token: str) -> list[int]:
    """ZENLIX's ``reset_token``: the caller's keys issued to this device stop working (their ids)."""
    device = device_of(device_token)
    if not device:
        return []
    async with db.unit_of_work() as uow:
        revoked = await store.revoke_device_keys(uow.conn, actor.id, device)
        if revoked:
            await uow.record_event(*events.api_token_revoked(actor.id, revoked, "device_signed_out"))
        await uow.commit()
    return revoked


async def authenticate_key(*, db: Database, key: str) -> tuple[int, User]:
    """(key id, its active user) for a live key; BadToken otherwise."""
    if not _KEY.match(key):
        raise BadToken()
    async with db.unit_of_work() as uow:
        found = await store.user_by_api_token(uow.conn, digest(key), kind=store.ZENLIX)
        if found is None:
            raise BadToken()
        await uow.commit()
    return found


async def users_by_hash(*, db: Database, actor: User, hashes: list[str]) -> list[User]:
    """The users with these public hashes that the actor may see: staff see anyone, a
    client only himself (as ``get_user``); the others are left out, as if unknown."""
    if len(hashes) > MAX_HASHES:
        raise InvalidInput("Too many hashes.", errors=[FieldError("hashes", f"at most {MAX_HASHES}")])
    async with db.unit_of_work() as uow:
        users = await store.users_by_hashes(uow.conn, hashes)
    if actor.kind is not Kind.STAFF:
        users = [u for u in users if u.id == actor.id]
    return users
