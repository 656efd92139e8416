"""The signing keys of access tokens: the first one, rotation, and the public keys to verify with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_identity import signing, store
from helpdesk_kit.db import Database


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
