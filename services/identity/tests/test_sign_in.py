"""Sign-in, sessions, rate limits, TOTP and personal API tokens, seen through the gateway."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pyotp

from .conftest import REVALIDATE, Env, bearer


async def test_the_right_password_signs_in_and_me_shows_the_user(env: Env) -> None:
    await env.create_user(login="anna", password="anna-password", email="anna@example.com")
    resp = await env.login("anna", "anna-password")
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["refresh_token"]
    me = await env.api.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["login"] == "anna" and me.json()["email"] == "anna@example.com"


async def test_a_wrong_password_is_401_problem(env: Env) -> None:
    await env.create_user(login="bob", password="bob-password")
    resp = await env.login("bob", "not-his-password")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_the_sixth_rapid_wrong_attempt_is_429_with_retry_after(env: Env) -> None:
    await env.create_user(login="carl", password="carl-password")
    codes = [(await env.login("carl", f"wrong-{i}")).status_code for i in range(5)]
    assert codes == [401] * 5
    sixth = await env.login("carl", "carl-password")  # even the right one: the account is cooling down
    assert sixth.status_code == 429
    assert int(sixth.headers["retry-after"]) > 0


async def test_a_disabled_user_cannot_sign_in_and_his_tokens_stop(env: Env) -> None:
    user = await env.create_user(login="dora", password="dora-password")
    token = await env.token("dora", "dora-password")
    assert (await env.api.get("/api/v1/me", headers=bearer(token))).status_code == 200
    resp = await env.api.delete(f"/api/v1/users/{user['id']}", headers=env.admin)
    assert resp.status_code == 200 and resp.json()["status"] == "disabled"
    assert (await env.login("dora", "dora-password")).status_code == 401
    await asyncio.sleep(REVALIDATE + 0.2)
    assert (await env.api.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_refresh_gives_a_new_pair_and_the_old_refresh_token_is_spent(env: Env) -> None:
    await env.create_user(login="emil", password="emil-password")
    first = (await env.login("emil", "emil-password")).json()
    resp = await env.api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status_code == 200
    second = resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await env.api.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 200
    again = await env.api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401


async def test_logout_ends_the_session_at_once(env: Env) -> None:
    await env.create_user(login="fred", password="fred-password")
    pair = (await env.login("fred", "fred-password")).json()
    headers = bearer(pair["access_token"])
    assert (await env.api.get("/api/v1/me", headers=headers)).status_code == 200  # cached as live
    assert (await env.api.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    # The gateway that served the logout forgets the session at once (others within REVALIDATE).
    assert (await env.api.get("/api/v1/me", headers=headers)).status_code == 401
    refresh = await env.api.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


async def test_a_personal_api_token_is_shown_once_works_and_stops_when_revoked(env: Env) -> None:
    await env.create_user(login="gina", password="gina-password")
    headers = bearer(await env.token("gina", "gina-password"))
    created = await env.api.post("/api/v1/me/tokens", json={"name": "script"}, headers=headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("hd_")
    listed = (await env.api.get("/api/v1/me/tokens", headers=headers)).json()["items"]
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    me = await env.api.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["login"] == "gina"
    token_id = created.json()["id"]
    assert (await env.api.delete(f"/api/v1/me/tokens/{token_id}", headers=headers)).status_code == 204
    await asyncio.sleep(REVALIDATE + 0.2)
    refused = await env.api.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401


async def test_an_expired_or_made_up_api_token_is_refused(env: Env) -> None:
    await env.create_user(login="hugo", password="hugo-password")
    headers = bearer(await env.token("hugo", "hugo-password"))
    created = await env.api.post(
        "/api/v1/me/tokens", json={"name": "short", "expires_in": 1}, headers=headers
    )
    await asyncio.sleep(1.2)
    assert (await env.api.get("/api/v1/me", headers=bearer(created.json()["token"]))).status_code == 401
    assert (await env.api.get("/api/v1/me", headers=bearer("hd_made-up"))).status_code == 401


async def test_an_api_token_may_be_given_the_moment_it_expires(env: Env) -> None:
    await env.create_user(login="hana", password="hana-password")
    headers = bearer(await env.token("hana", "hana-password"))
    when = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    created = await env.api.post(
        "/api/v1/me/tokens", json={"name": "quarter", "expires_at": when.isoformat()}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["expires_at"].replace("Z", "+00:00")) == when
    soon = datetime.now(UTC) + timedelta(seconds=2)
    short = await env.api.post(
        "/api/v1/me/tokens", json={"name": "brief", "expires_at": soon.isoformat()}, headers=headers
    )
    assert (await env.api.get("/api/v1/me", headers=bearer(short.json()["token"]))).status_code == 200
    await asyncio.sleep(2.2)
    assert (await env.api.get("/api/v1/me", headers=bearer(short.json()["token"]))).status_code == 401
    for body in (
        {"name": "past", "expires_at": "2020-01-01T00:00:00Z"},
        {"name": "far", "expires_at": "2999-01-01T00:00:00Z"},
        {"name": "both", "expires_at": when.isoformat(), "expires_in": 60},
    ):
        refused = await env.api.post("/api/v1/me/tokens", json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["expires_at"], refused.text
    names = [t["name"] for t in (await env.api.get("/api/v1/me/tokens", headers=headers)).json()["items"]]
    assert sorted(names) == ["brief", "quarter"]


async def test_with_totp_enabled_the_code_is_needed_to_sign_in(env: Env) -> None:
    await env.create_user(login="ines", password="ines-password")
    headers = bearer(await env.token("ines", "ines-password"))
    setup = (await env.api.post("/api/v1/me/totp", headers=headers)).json()
    totp = pyotp.TOTP(setup["secret"])
    bad = await env.api.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=headers)
    assert bad.status_code == 422
    ok = await env.api.post("/api/v1/me/totp/confirm", json={"code": totp.now()}, headers=headers)
    assert ok.status_code == 200 and ok.json() == {"enabled": True}
    asked = await env.login("ines", "ines-password")
    assert asked.status_code == 401
    assert asked.json()["errors"] == [{"field": "totp", "message": "required"}]
    wrong_code = await env.login("ines", "ines-password", totp="000000")
    assert wrong_code.status_code == 401
    assert wrong_code.json()["errors"] == [{"field": "totp", "message": "wrong code"}]
    # A wrong password says nothing about the second factor.
    wrong_password = await env.login("ines", "not-her-password")
    assert wrong_password.status_code == 401 and not wrong_password.json().get("errors")
    # The code that confirmed is spent; the next step's code is accepted (one step of drift).
    assert (await env.login("ines", "ines-password", totp=totp.at(time.time() + 30))).status_code == 200
