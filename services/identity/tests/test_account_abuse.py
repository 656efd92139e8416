"""Accounts that cannot be abused: stolen refresh tokens, replayed codes, guessed codes,
sessions outliving a password reset, e-mail hijack, mail floods — seen through the gateway."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyotp
import pytest
from helpdesk.identity.v1 import events_pb2

from helpdesk_identity import usecases

from .conftest import REVALIDATE, Env, bearer


async def published(env: Env, event: str) -> list[Any]:
    """The events identity committed to its outbox (the relay publishes them to NATS)."""
    rows = await env.db.pool.fetch(
        "SELECT payload FROM outbox WHERE subject = $1 ORDER BY created_at", f"identity.{event}"
    )
    message = getattr(events_pb2, event)
    return [message.FromString(bytes(r["payload"])) for r in rows]


async def signed_in(env: Env, login: str, password: str, **extra: Any) -> dict[str, Any]:
    resp = await env.login(login, password, **extra)
    assert resp.status_code == 200, resp.text
    pair: dict[str, Any] = resp.json()
    return pair


async def refresh(env: Env, token: str) -> int:
    return (await env.api.post("/api/v1/auth/refresh", json={"refresh_token": token})).status_code


async def me(env: Env, token: str) -> int:
    return (await env.api.get("/api/v1/me", headers=bearer(token))).status_code


async def with_totp(env: Env, login: str, password: str) -> tuple[pyotp.TOTP, dict[str, str], int]:
    """A user with the second factor on: (his TOTP, his bearer header, the step that confirmed)."""
    await env.create_user(login=login, password=password)
    headers = bearer(await env.token(login, password))
    secret = (await env.api.post("/api/v1/me/totp", headers=headers)).json()["secret"]
    totp = pyotp.TOTP(secret)
    step = int(time.time() // 30)
    ok = await env.api.post(
        "/api/v1/me/totp/confirm", json={"code": totp.generate_otp(step)}, headers=headers
    )
    assert ok.status_code == 200, ok.text
    return totp, headers, step


# ---- refresh tokens ---------------------------------------------------------------


async def test_a_spent_refresh_token_presented_again_ends_the_whole_session(env: Env) -> None:
    await env.create_user(login="vic", password="vic-password")
    first = await signed_in(env, "vic", "vic-password")
    other_session = await signed_in(env, "vic", "vic-password")
    # The thief refreshes with a copy first: he now holds the session's live token.
    stolen = (
        await env.api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    assert await me(env, stolen["access_token"]) == 200
    # The owner comes back with his (now spent) token: the reuse ends the session...
    again = await env.api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and "used already" in again.json()["detail"]
    # ...with every token descended from that sign-in: the thief's refresh token and access token.
    assert await refresh(env, stolen["refresh_token"]) == 401
    await asyncio.sleep(REVALIDATE + 0.2)
    assert await me(env, stolen["access_token"]) == 401
    # Another sign-in of the same user is another family, untouched.
    assert await me(env, other_session["access_token"]) == 200
    assert await refresh(env, other_session["refresh_token"]) == 200
    [event] = await published(env, "SessionRevoked")
    assert event.reason == "refresh_reused" and len(event.session_ids) == 1


async def test_two_refreshes_racing_with_one_token_leave_at_most_one_live_family_member(env: Env) -> None:
    await env.create_user(login="race", password="race-password")
    pair = await signed_in(env, "race", "race-password")
    answers = await asyncio.gather(
        *(
            env.api.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
            for _ in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 401]
    # The second use was a reuse: the token the first one got is dead with its session.
    winner = next(a for a in answers if a.status_code == 200).json()
    assert await refresh(env, winner["refresh_token"]) == 401


async def test_sessions_ended_over_a_day_ago_are_forgotten_with_their_refresh_tokens(env: Env) -> None:
    await env.create_user(login="old", password="old-password")
    pair = await signed_in(env, "old", "old-password")
    await signed_in(env, "old", "old-password")  # still live: kept
    assert (
        await env.api.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    ).status_code == 204
    await env.db.pool.execute(
        "UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE revoked_at IS NOT NULL"
    )
    assert await usecases.forget_ended_sessions(db=env.db) == 1
    left = await env.db.pool.fetchval(
        "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = 'old'"
    )
    assert left == 1
    assert (
        await env.db.pool.fetchval(
            "SELECT count(*) FROM refresh_tokens t LEFT JOIN sessions s"
            " ON s.id = t.session_id WHERE s.id IS NULL"
        )
        == 0
    )


# ---- passwords and sessions ---------------------------------------------------------


async def test_an_admin_setting_a_users_password_ends_every_session_of_his(env: Env) -> None:
    user = await env.create_user(login="wes", password="wes-password")
    laptop = await signed_in(env, "wes", "wes-password")
    phone = await signed_in(env, "wes", "wes-password")
    assert await me(env, laptop["access_token"]) == 200
    resp = await env.api.patch(
        f"/api/v1/users/{user['id']}", json={"password": "set-by-admin"}, headers=env.admin
    )
    assert resp.status_code == 200, resp.text
    assert await refresh(env, laptop["refresh_token"]) == 401
    assert await refresh(env, phone["refresh_token"]) == 401
    await asyncio.sleep(REVALIDATE + 0.2)
    assert await me(env, laptop["access_token"]) == 401 and await me(env, phone["access_token"]) == 401
    [event] = await published(env, "SessionRevoked")
    assert event.user_id == user["id"] and event.reason == "password_set" and len(event.session_ids) == 2
    assert (await env.login("wes", "set-by-admin")).status_code == 200


async def test_a_new_password_ends_the_users_api_tokens(env: Env) -> None:
    await env.create_user(login="tom", password="tom-password")
    headers = bearer(await env.token("tom", "tom-password"))
    secret = (await env.api.post("/api/v1/me/tokens", json={"name": "cron"}, headers=headers)).json()["token"]
    assert await me(env, secret) == 200
    changed = await env.api.post(
        "/api/v1/me/password",
        json={"current_password": "tom-password", "new_password": "tom-password-2"},
        headers=headers,
    )
    assert changed.status_code == 204
    await asyncio.sleep(REVALIDATE + 0.2)
    assert await me(env, secret) == 401
    assert (await env.api.get("/api/v1/me/tokens", headers=headers)).json()["items"] == []
    [event] = await published(env, "ApiTokenRevoked")
    assert event.reason == "password_changed" and len(event.token_ids) == 1


@pytest.mark.identity_settings(password_change_ends_api_tokens=False)
async def test_with_the_setting_off_api_tokens_outlive_a_password_change(env: Env) -> None:
    await env.create_user(login="una", password="una-password")
    headers = bearer(await env.token("una", "una-password"))
    secret = (await env.api.post("/api/v1/me/tokens", json={"name": "cron"}, headers=headers)).json()["token"]
    changed = await env.api.post(
        "/api/v1/me/password",
        json={"current_password": "una-password", "new_password": "una-password-2"},
        headers=headers,
    )
    assert changed.status_code == 204
    await asyncio.sleep(REVALIDATE + 0.2)
    assert await me(env, secret) == 200
    assert await published(env, "ApiTokenRevoked") == []


async def test_revoking_an_api_token_and_changing_a_users_rights_are_announced(env: Env) -> None:
    user = await env.create_user(login="ray", password="ray-password")
    headers = bearer(await env.token("ray", "ray-password"))
    token_id = (await env.api.post("/api/v1/me/tokens", json={"name": "x"}, headers=headers)).json()["id"]
    assert (await env.api.delete(f"/api/v1/me/tokens/{token_id}", headers=headers)).status_code == 204
    [revoked] = await published(env, "ApiTokenRevoked")
    assert list(revoked.token_ids) == [token_id] and revoked.user_id == user["id"]
    # A new phone number changes no right: nothing to announce. A role does.
    await env.api.patch(f"/api/v1/users/{user['id']}", json={"phone": "+1 555"}, headers=env.admin)
    assert await published(env, "UserChanged") == []
    await env.api.patch(f"/api/v1/users/{user['id']}", json={"is_admin": True}, headers=env.admin)
    await env.api.delete(f"/api/v1/users/{user['id']}", headers=env.admin)
    changes = await published(env, "UserChanged")
    assert [(c.user_id, c.is_active) for c in changes] == [(user["id"], True), (user["id"], False)]
    [ended] = await published(env, "SessionRevoked")
    assert ended.reason == "disabled"


async def test_a_new_email_needs_the_current_password_other_fields_do_not(env: Env) -> None:
    await env.create_user(login="eve", password="eve-password", email="eve@corp.example")
    headers = bearer(await env.token("eve", "eve-password"))
    assert (
        await env.api.patch("/api/v1/me", json={"phone": "+1 555 0100"}, headers=headers)
    ).status_code == 200
    bare = await env.api.patch("/api/v1/me", json={"email": "mallory@evil.example"}, headers=headers)
    assert bare.status_code == 422
    assert bare.json()["errors"] == [{"field": "current_password", "message": "required"}]
    wrong = await env.api.patch(
        "/api/v1/me", json={"email": "mallory@evil.example", "current_password": "guess"}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    assert (await env.api.get("/api/v1/me", headers=headers)).json()["email"] == "eve@corp.example"
    ok = await env.api.patch(
        "/api/v1/me", json={"email": "eve@home.example", "current_password": "eve-password"}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["email"] == "eve@home.example"


async def test_wrong_current_passwords_for_an_email_change_are_limited_like_sign_ins(env: Env) -> None:
    await env.create_user(login="gus", password="gus-password")
    headers = bearer(await env.token("gus", "gus-password"))
    body = {"email": "gus@evil.example", "current_password": "guess"}
    codes = [(await env.api.patch("/api/v1/me", json=body, headers=headers)).status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]


# ---- the second factor ---------------------------------------------------------------


async def test_a_totp_code_is_accepted_once(env: Env) -> None:
    totp, _, step = await with_totp(env, "ida", "ida-password")
    # The code that switched the factor on cannot sign in.
    replay = await env.login("ida", "ida-password", totp=totp.generate_otp(step))
    assert replay.status_code == 401 and replay.json()["errors"] == [
        {"field": "totp", "message": "wrong code"}
    ]
    fresh = totp.generate_otp(step + 1)
    assert (await env.login("ida", "ida-password", totp=fresh)).status_code == 200
    assert (await env.login("ida", "ida-password", totp=fresh)).status_code == 401


async def test_one_code_used_by_two_sign_ins_at_once_lets_in_only_one(env: Env) -> None:
    totp, _, step = await with_totp(env, "jon", "jon-password")
    code = totp.generate_otp(step + 1)
    answers = await asyncio.gather(*(env.login("jon", "jon-password", totp=code) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [200, 401, 401]


async def test_a_code_that_is_not_ascii_digits_is_a_wrong_code_not_a_server_error(env: Env) -> None:
    # Found by schemathesis: "¿" reached hmac.compare_digest, which takes only ASCII text.
    await env.create_user(login="lou", password="lou-password")
    headers = bearer(await env.token("lou", "lou-password"))
    assert (await env.api.post("/api/v1/me/totp", headers=headers)).status_code == 200
    for code in ("\u00bf", "١٢٣٤٥٦", "12 34"):
        answer = await env.api.post("/api/v1/me/totp/confirm", json={"code": code}, headers=headers)
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["errors"] == [{"field": "code", "message": "does not match"}]
    wrong = await env.login("lou", "lou-password", totp="\u00bf")
    assert wrong.status_code == 200  # the factor is not on yet: the code is not asked for


async def test_wrong_codes_are_limited_per_user_with_429_and_retry_after(env: Env) -> None:
    await env.create_user(login="kim", password="kim-password")
    headers = bearer(await env.token("kim", "kim-password"))
    secret = (await env.api.post("/api/v1/me/totp", headers=headers)).json()["secret"]
    codes = [
        (await env.api.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=headers)).status_code
        for _ in range(5)
    ]
    assert codes == [422] * 5
    right = pyotp.TOTP(secret).now()
    refused = await env.api.post("/api/v1/me/totp/confirm", json={"code": right}, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


@pytest.mark.identity_settings(login_failures_per_account=50)
async def test_wrong_codes_at_sign_in_count_against_the_users_code_limit(env: Env) -> None:
    totp, _, step = await with_totp(env, "lou", "lou-password")
    wrong = "000000" if totp.generate_otp(step + 1) != "000000" else "111111"
    for _ in range(5):
        assert (await env.login("lou", "lou-password", totp=wrong)).status_code == 401
    # The sign-in limit (50 here) is far; the user's code limit is reached: the right code waits.
    resp = await env.login("lou", "lou-password", totp=totp.generate_otp(step + 1))
    assert resp.status_code == 429 and "one-time codes" in resp.json()["detail"]


async def test_turning_the_second_factor_off_needs_the_password_and_a_code(env: Env) -> None:
    totp, headers, step = await with_totp(env, "mia", "mia-password")
    code = totp.generate_otp(step + 1)
    no_password = await env.api.request("DELETE", "/api/v1/me/totp", json={"code": code}, headers=headers)
    assert no_password.status_code == 422 and no_password.json()["errors"][0]["field"] == "current_password"
    no_code = await env.api.request(
        "DELETE", "/api/v1/me/totp", json={"current_password": "mia-password"}, headers=headers
    )
    assert no_code.status_code == 422 and no_code.json()["errors"][0]["field"] == "code"
    off = await env.api.request(
        "DELETE", "/api/v1/me/totp", json={"code": code, "current_password": "mia-password"}, headers=headers
    )
    assert off.status_code == 200 and off.json() == {"enabled": False}
    assert (await env.login("mia", "mia-password")).status_code == 200


# ---- mails on request -------------------------------------------------------------------


async def test_reset_requests_are_limited_per_account_asked_for_whether_it_exists_or_not(env: Env) -> None:
    await env.create_user(login="ned", password="ned-password", email="ned@corp.example")
    for asked in ("ned", "nobody@nowhere.example"):
        codes = [
            (await env.api.post("/api/v1/auth/password-reset", json={"login_or_email": asked})).status_code
            for _ in range(4)
        ]
        assert codes == [202, 202, 202, 429]
    assert len(await published(env, "PasswordResetRequested")) == 3


@pytest.mark.identity_settings(registration_enabled=True)
async def test_registration_requests_are_limited_per_email(env: Env) -> None:
    body = {"email": "flood@victim.example", "password": "client-password", "full_name": "Flood"}
    codes = []
    for i in range(4):
        resp = await env.api.post("/api/v1/auth/register", json={**body, "login": f"flood{i}"})
        codes.append(resp.status_code)
    assert codes[:1] == [202] and codes[3] == 429  # the 2nd and 3rd: e-mail taken (422)
    assert len(await published(env, "UserRegistered")) == 1
