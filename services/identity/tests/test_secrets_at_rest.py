"""Secrets identity must read back are sealed in the database: a dump shows none of them."""

from __future__ import annotations

import base64
import os
import time

import pyotp
import pytest

from helpdesk_identity import store
from helpdesk_kit import sealing

from .conftest import Env, bearer


async def test_a_totp_secret_and_the_signing_key_are_unreadable_in_the_raw_columns(env: Env) -> None:
    await env.create_user(login="tess", password="tess-password")
    headers = bearer(await env.token("tess", "tess-password"))
    secret = (await env.api.post("/api/v1/me/totp", headers=headers)).json()["secret"]
    confirmed = await env.api.post(
        "/api/v1/me/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text

    raw = await env.db.pool.fetchval("SELECT totp_secret FROM users WHERE login = 'tess'")
    assert raw.startswith(sealing.PREFIX) and secret not in raw
    for pem in await env.db.pool.fetch("SELECT private_pem FROM signing_keys"):
        dumped = bytes(pem["private_pem"]).decode()
        assert dumped.startswith(sealing.PREFIX) and "PRIVATE KEY" not in dumped
    # ...and identity reads them back: the code signs in, tokens are signed.
    # (The next 30-second step's code: the one that confirmed is spent.)
    signed_in = await env.login("tess", "tess-password", totp=pyotp.TOTP(secret).at(time.time() + 30))
    assert signed_in.status_code == 200, signed_in.text


async def test_the_ldap_bind_password_is_unreadable_in_the_stored_settings(env: Env) -> None:
    settings = {
        "enabled": False,
        "url": "ldaps://ldap.example.test",
        "bind_dn": "cn=reader,dc=example,dc=test",
        "bind_password": "very-secret-bind",
        "base_dn": "dc=example,dc=test",
    }
    saved = await env.api.put("/api/v1/settings/ldap", json=settings, headers=env.admin)
    assert saved.status_code == 200, saved.text
    raw = await env.db.pool.fetchval("SELECT value::text FROM settings WHERE key = 'ldap'")
    assert "very-secret-bind" not in raw and sealing.PREFIX in raw
    async with env.db.unit_of_work() as uow:
        document = await store.get_setting_document(uow.conn, "ldap")
    assert document is not None and document["bind_password"] == "very-secret-bind"


async def test_rotation_reseals_everything_with_the_new_key_and_old_clear_values_get_sealed(
    env: Env, secret_keys: str
) -> None:
    await env.create_user(login="rot", password="rot-password")
    user_id = await env.db.pool.fetchval("SELECT id FROM users WHERE login = 'rot'")
    # A value stored before sealing existed.
    await env.db.pool.execute("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1", user_id)
    new_ring = f"next:{base64.b64encode(os.urandom(32)).decode()},{secret_keys}"
    sealing.configure(new_ring)
    try:
        async with env.db.unit_of_work() as uow:
            assert await store.reseal_all(uow.conn) > 0
            await uow.commit()
        raw = await env.db.pool.fetchval("SELECT totp_secret FROM users WHERE id = $1", user_id)
        assert raw.startswith(f"{sealing.PREFIX}next:")
        # The old key can now leave the ring: everything opens with the new one alone.
        sealing.configure(new_ring.split(",")[0])
        async with env.db.unit_of_work() as uow:
            assert (await store.user_secrets(uow.conn, user_id))[0] == "JBSWY3DPEHPK3PXP"
            assert await store.active_signing_key(uow.conn) is not None
        # A ring without the sealing key cannot open it.
        sealing.configure(f"other:{base64.b64encode(os.urandom(32)).decode()}")
        async with env.db.unit_of_work() as uow:
            with pytest.raises(sealing.SealingError):
                await store.user_secrets(uow.conn, user_id)
    finally:
        sealing.configure(secret_keys)
