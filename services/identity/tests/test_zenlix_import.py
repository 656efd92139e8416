"""Identity's ZENLIX import against a generated ZENLIX database (MariaDB) and real PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from helpdesk_devstack.testing.zenlix import Source
from helpdesk_devstack.zenlix.generator import password_of
from helpdesk_identity import zenlix
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import ImportRefused, Report

from .conftest import Env


async def _import(env: Env, source: Source, *, dry_run: bool = False) -> Report:
    with Reader(source.url) as reader:
        return await zenlix.import_zenlix(db=env.db, reader=reader, dry_run=dry_run)


async def _count(env: Env, sql: str) -> int:
    async with env.db.unit_of_work() as uow:
        value: int = await uow.conn.fetchval(sql)
        return value


async def test_every_user_unit_group_and_position_comes_over_once(env: Env, zenlix: Source) -> None:
    report = await _import(env, zenlix)
    e = zenlix.expected
    assert report.balanced()
    assert report["users"].imported == e.users
    assert report["users"].skipped == {"no login": e.users_rejected}
    assert await _count(env, "SELECT count(*) FROM users") == e.users  # ZENLIX's system is ours
    assert report["units"].imported == await _count(env, "SELECT count(*) FROM units") == 6
    assert report["client_groups"].imported == 6
    assert report["positions"].imported == 6

    again = await _import(env, zenlix)
    assert again["users"].imported == again["units"].imported == 0
    assert again["users"].already == e.users
    assert await _count(env, "SELECT count(*) FROM users") == e.users


async def test_a_dry_run_reports_everything_and_writes_nothing(env: Env, zenlix: Source) -> None:
    report = await _import(env, zenlix, dry_run=True)
    assert report["users"].imported == zenlix.expected.users
    assert await _count(env, "SELECT count(*) FROM users") == 1
    assert await _count(env, "SELECT count(*) FROM units") == 0


async def test_a_legacy_md5_password_signs_in_once_and_is_rehashed(env: Env, zenlix: Source) -> None:
    await _import(env, zenlix)
    md5_hex = hashlib.md5(password_of(5).encode()).hexdigest()
    async with env.db.unit_of_work() as uow:
        login = await uow.conn.fetchval("SELECT login FROM users WHERE id = 5")
        before = await uow.conn.fetchval("SELECT password_hash FROM users WHERE id = 5")
        await uow.conn.execute("UPDATE users SET is_active = true WHERE id = 5")
        await uow.commit()
    assert before == f"legacy-md5${md5_hex}"
    assert (await env.login(login, md5_hex)).status_code == 401  # the hash itself is no password

    assert (await env.login(login, password_of(5))).status_code == 200
    async with env.db.unit_of_work() as uow:
        after = await uow.conn.fetchval("SELECT password_hash FROM users WHERE id = 5")
    assert after.startswith("$argon2id$")
    assert md5_hex not in after
    assert (await env.login(login, password_of(5))).status_code == 200
    assert (await env.login(login, "wrong-password")).status_code == 401


async def test_users_keep_their_roles_units_groups_and_leads(env: Env, zenlix: Source) -> None:
    await _import(env, zenlix)
    async with env.db.unit_of_work() as uow:
        admin = await uow.conn.fetchrow("SELECT * FROM users WHERE id = 2")
        system = await uow.conn.fetchrow("SELECT login, password_hash FROM users WHERE id = 1")
        moji = await uow.conn.fetchrow("SELECT full_name, role, login FROM users WHERE login = 'moji'")
        bad_login = await uow.conn.fetchval("SELECT login FROM users WHERE full_name = 'Иванов Иван'")
        leads = await uow.conn.fetch(
            "SELECT g.id, u.kind, u.client_group_id, u.is_client_group_lead FROM client_groups g"
            " JOIN users u ON u.id = g.lead_id"
        )
        ldap = await uow.conn.fetch("SELECT password_hash FROM users WHERE ldap")
        units = await uow.conn.fetchval("SELECT count(*) FROM user_units WHERE user_id = 2")
        sequence = await uow.conn.fetchval("SELECT nextval(pg_get_serial_sequence('users', 'id'))")
    assert admin["is_admin"] and admin["kind"] == "staff" and admin["login"] == "staff2"
    assert units >= 1
    assert system["login"] == "system" and not system["password_hash"].startswith("legacy")
    assert moji["full_name"] == "Гончаренко Олена" and moji["role"] == "unit_member"
    assert bad_login.startswith("zenlix-")
    assert leads and all(r["kind"] == "client" and r["client_group_id"] == r["id"] for r in leads)
    assert all(r["is_client_group_lead"] for r in leads)
    assert all(r["password_hash"] is None for r in ldap)
    assert sequence > zenlix.expected.users


async def test_an_object_of_ours_under_a_zenlix_id_refuses_the_import(env: Env, zenlix: Source) -> None:
    resp = await env.api.post("/api/v1/units", json={"name": "Made here"}, headers=env.admin)
    assert resp.status_code == 201, resp.text
    with pytest.raises(ImportRefused, match="units id 1 is taken"):
        await _import(env, zenlix)
    assert await _count(env, "SELECT count(*) FROM users") == 1


async def test_users_keep_their_zenlix_hash_so_api_clients_name_them_as_before(
    env: Env, zenlix: Source
) -> None:
    await _import(env, zenlix)
    async with env.db.unit_of_work() as uow:
        rows = await uow.conn.fetch("SELECT id, public_hash FROM users WHERE id IN (1, 5)")
    hashes = {r["id"]: r["public_hash"] for r in rows}
    assert hashes == {i: hashlib.md5(f"uniq{i}".encode()).hexdigest() for i in (1, 5)}
