"""Names and addresses go into mails and pushes: what could never be sent is refused at
input, through the gateway, with a 422 naming the field; the directory's names are cleaned."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpdesk_identity.domain import clean_name

from .conftest import Env, bearer


def _refused(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in resp.json()["errors"]], resp.text


LINE_BREAKS = ["Ann\nSmith", "Ann\r\nBcc: all@example.test", "Tab\tbed", "Line\u2028sep"]


@pytest.mark.parametrize("name", LINE_BREAKS)
async def test_a_line_break_in_a_full_name_is_refused_when_an_admin_creates_a_user(
    env: Env, name: str
) -> None:
    body = {
        "login": "ann",
        "full_name": name,
        "kind": "staff",
        "role": "unit_member",
        "password": "password-1",
    }
    _refused(await env.api.post("/api/v1/users", json=body, headers=env.admin), "full_name")


async def test_a_line_break_in_a_full_name_is_refused_on_update_and_on_the_users_own_profile(
    env: Env,
) -> None:
    user: dict[str, Any] = await env.create_user(login="bob", full_name="Bob")
    patched = await env.api.patch(
        f"/api/v1/users/{user['id']}", json={"full_name": "Bob\nBcc: x@example.test"}, headers=env.admin
    )
    _refused(patched, "full_name")
    mine = bearer(await env.token("bob", "password-1"))
    _refused(await env.api.patch("/api/v1/me", json={"full_name": "Bob\r\nX"}, headers=mine), "full_name")
    me = (await env.api.get("/api/v1/me", headers=mine)).json()
    assert me["full_name"] == "Bob"


@pytest.mark.identity_settings(registration_enabled=True)
async def test_a_line_break_in_a_full_name_is_refused_at_registration(env: Env) -> None:
    body = {"email": "new@client.example", "password": "client-password", "full_name": "New\nClient"}
    _refused(await env.api.post("/api/v1/auth/register", json=body), "full_name")


@pytest.mark.parametrize(
    "email", ["ann@@example.test", "ann smith@example.test", "änn@example.test", "ann@example.test\n"]
)
async def test_a_malformed_email_address_is_refused(env: Env, email: str) -> None:
    body = {"login": "ann", "full_name": "Ann", "kind": "staff", "role": "unit_member", "email": email}
    _refused(await env.api.post("/api/v1/users", json=body, headers=env.admin), "email")


@pytest.mark.parametrize("address", ["phone 1@example.test", "dévice", "two words"])
async def test_a_pushbullet_address_that_cannot_be_sent_to_is_refused_on_the_profile(
    env: Env, address: str
) -> None:
    await env.create_user(login="carl", full_name="Carl")
    mine = bearer(await env.token("carl", "password-1"))
    _refused(await env.api.patch("/api/v1/me", json={"pushbullet": address}, headers=mine), "pushbullet")


async def test_good_names_and_addresses_pass(env: Env) -> None:
    user = await env.create_user(
        login="dora",
        full_name="Дора Ёлкина-Smith",
        email="dora@corp.example",
        pushbullet="ujpah72o0sjAoRtnM0jc",
    )
    assert user["full_name"] == "Дора Ёлкина-Smith"


def test_a_directory_name_with_line_breaks_is_cleaned_not_refused() -> None:
    assert clean_name("Mia\r\n  M\u2028x\t") == "Mia M x"
    assert clean_name("\n") == ""
