"""LDAP against a real slapd started by the test: sign-in by directory bind, import, sync."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap3  # type: ignore[import-untyped]
import pytest

from . import slapd
from .conftest import REVALIDATE, Env, bearer

pytestmark = pytest.mark.skipif(not slapd.available(), reason="slapd is not installed")

PEOPLE = f"ou=people,{slapd.BASE_DN}"
GROUPS = f"ou=groups,{slapd.BASE_DN}"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slapd.Slapd]:
    process = slapd.SlapdProcess(Path(tmp_path_factory.mktemp("slapd")) / "ldap")
    server = process.start()
    try:
        yield server
    finally:
        process.stop()


class Admin:
    """Changes the directory as its administrator would (over StartTLS)."""

    def __init__(self, d: slapd.Slapd) -> None:
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_data=d.ca_pem)
        self.conn = ldap3.Connection(ldap3.Server(d.url, tls=tls), d.admin_dn, d.admin_password)
        self.conn.open()
        self.conn.start_tls()
        assert self.conn.bind()

    def add_person(self, uid: str, password: str, name: str, mail: str = "") -> str:
        dn = f"uid={uid},{PEOPLE}"
        attrs = {"cn": name, "sn": name.split()[-1], "uid": uid, "userPassword": password}
        if mail:
            attrs["mail"] = mail
        assert self.conn.add(dn, ["inetOrgPerson"], attrs), self.conn.result
        return dn

    def add_group(self, cn: str, members: list[str]) -> str:
        dn = f"cn={cn},{GROUPS}"
        assert self.conn.add(dn, ["groupOfNames"], {"cn": cn, "member": members}), self.conn.result
        return dn

    def set_password(self, dn: str, password: str) -> None:
        assert self.conn.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [password])]})

    def delete(self, dn: str) -> None:
        assert self.conn.delete(dn), self.conn.result

    def clear(self) -> None:
        for base in (PEOPLE, GROUPS):
            self.conn.search(base, "(objectClass=*)", ldap3.LEVEL, attributes=[])
            for entry in list(self.conn.entries):
                self.conn.delete(entry.entry_dn)


@pytest.fixture
def ldap_admin(directory: slapd.Slapd) -> Iterator[Admin]:
    admin = Admin(directory)
    admin.clear()
    yield admin
    admin.clear()
    admin.conn.unbind()


def settings_for(d: slapd.Slapd, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "url": d.url,
        "start_tls": True,
        "ca_pem": d.ca_pem,
        "base_dn": PEOPLE,
        "bind_dn": d.admin_dn,
        "bind_password": d.admin_password,
        **extra,
    }


async def _configure(env: Env, d: slapd.Slapd, **extra: Any) -> dict[str, Any]:
    resp = await env.api.put("/api/v1/settings/ldap", json=settings_for(d, **extra), headers=env.admin)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_the_settings_hide_the_bind_password_and_the_test_button_reports(
    env: Env, directory: slapd.Slapd, ldap_admin: Admin
) -> None:
    ldap_admin.add_person("tess", "tess-pw", "Tess T")
    saved = await _configure(env, directory)
    assert saved["bind_password"] == "********"
    got = (await env.api.get("/api/v1/settings/ldap", headers=env.admin)).json()
    assert got["bind_password"] == "********" and got["url"] == directory.url
    # Saving the masked value back keeps the stored password.
    again = await env.api.put("/api/v1/settings/ldap", json=got, headers=env.admin)
    assert again.status_code == 200
    test = (await env.api.post("/api/v1/ldap/test", headers=env.admin)).json()
    assert test == {"ok": True, "detail": "Connected; 1 users found.", "users_found": 1}
    await _configure(env, directory, bind_password="wrong")
    test = (await env.api.post("/api/v1/ldap/test", headers=env.admin)).json()
    assert test["ok"] is False


async def test_plain_ldap_without_starttls_is_refused(env: Env, directory: slapd.Slapd) -> None:
    resp = await env.api.put(
        "/api/v1/settings/ldap", json=settings_for(directory, start_tls=False), headers=env.admin
    )
    assert resp.status_code == 422


async def test_an_ldap_user_signs_in_with_the_directory_password_not_a_stale_one(
    env: Env, directory: slapd.Slapd, ldap_admin: Admin
) -> None:
    dn = ldap_admin.add_person("lena", "first-pw", "Lena L", "lena@example.org")
    await _configure(env, directory)
    sync = (await env.api.post("/api/v1/ldap/sync", headers=env.admin)).json()
    assert sync == {"created": 1, "updated": 0, "disabled": 0}
    assert (await env.login("lena", "first-pw")).status_code == 200
    ldap_admin.set_password(dn, "second-pw")
    assert (await env.login("lena", "first-pw")).status_code == 401
    resp = await env.login("lena", "second-pw")
    assert resp.status_code == 200
    assert resp.json()["user"]["email"] == "lena@example.org"
    async with env.db.unit_of_work() as uow:  # the password is never kept
        assert await uow.conn.fetchval("SELECT password_hash FROM users WHERE login = 'lena'") is None


async def test_sync_maps_groups_updates_changes_and_disables_who_left(
    env: Env, directory: slapd.Slapd, ldap_admin: Admin
) -> None:
    unit = (await env.api.post("/api/v1/units", json={"name": "Support"}, headers=env.admin)).json()
    mia = ldap_admin.add_person("mia", "mia-pw", "Mia M")
    max_dn = ldap_admin.add_person("max", "max-pw", "Max M")
    heads = ldap_admin.add_group("support-heads", [mia])
    staff = ldap_admin.add_group("support", [mia, max_dn])
    groups = [
        {"group_dn": staff, "unit_id": unit["id"], "role": "unit_member"},
        {"group_dn": heads, "unit_id": unit["id"], "role": "unit_head"},
    ]
    await _configure(env, directory, groups=groups)
    assert (await env.api.post("/api/v1/ldap/sync", headers=env.admin)).json()["created"] == 2
    users = {
        u["login"]: u
        for u in (
            await env.api.get("/api/v1/users", params={"unit_id": unit["id"]}, headers=env.admin)
        ).json()["items"]
    }
    assert users["mia"]["role"] == "unit_head" and users["max"]["role"] == "unit_member"
    token = (await env.login("max", "max-pw")).json()["access_token"]
    ldap_admin.delete(max_dn)
    ldap_admin.conn.modify(mia, {"cn": [(ldap3.MODIFY_REPLACE, ["Mia Renamed"])]})
    second = (await env.api.post("/api/v1/ldap/sync", headers=env.admin)).json()
    assert second == {"created": 0, "updated": 1, "disabled": 1}
    got = (await env.api.get(f"/api/v1/users/{users['max']['id']}", headers=env.admin)).json()
    assert got["status"] == "disabled"
    assert (await env.api.get(f"/api/v1/users/{users['mia']['id']}", headers=env.admin)).json()[
        "full_name"
    ] == "Mia Renamed"
    assert (await env.login("max", "max-pw")).status_code == 401
    await asyncio.sleep(REVALIDATE + 0.2)  # his signed-in session ended with the sync
    assert (await env.api.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_a_directory_name_with_a_line_break_is_imported_cleaned(
    env: Env, directory: slapd.Slapd, ldap_admin: Admin
) -> None:
    ldap_admin.add_person("lia", "lia-pw", "Lia\r\nBcc: everyone@example.test", mail="lia@corp.example")
    await _configure(env, directory)
    assert (await env.api.post("/api/v1/ldap/sync", headers=env.admin)).json()["created"] == 1
    found = (await env.api.get("/api/v1/users", params={"q": "lia"}, headers=env.admin)).json()["items"]
    assert [u["full_name"] for u in found] == ["Lia Bcc: everyone@example.test"]
