"""``auth`` and ``reset_token``: ZENLIX's sign-in answers a key; a device signs out; wrong
passwords, disabled users, two-factor users and too many attempts are refused."""

from __future__ import annotations

import re

import pyotp

from .conftest import PASSWORD, Desk


async def test_auth_answers_a_bare_object_with_the_key_name_and_picture(desk: Desk) -> None:
    user = await desk.user("Shevchenko Taras Hryhorovych", key=False)
    answer = await desk.zenlix(mode="auth", login=user.login, **{"pass": PASSWORD})
    assert list(answer) == ["uniq_id", "status", "error_description", "fio", "name_only", "usr_img"]
    assert re.fullmatch(r"[0-9a-f]{32}", answer["uniq_id"])  # the shape of ZENLIX's own keys
    assert answer["status"] == "ok" and answer["error_description"] is None
    assert answer["fio"] == "Shevchenko Taras Hryhorovych"
    assert answer["name_only"] == "Taras"
    assert answer["usr_img"] == "img/avatar5.png"
    [units] = await desk.zenlix(mode="get_unit_list", uniq_id=answer["uniq_id"])
    assert units["status"] == "ok"


async def test_auth_with_a_wrong_password_says_system_auth_error_and_gives_no_key(desk: Desk) -> None:
    user = await desk.user(key=False)
    answer = await desk.zenlix(mode="auth", login=user.login, **{"pass": "wrong"})
    assert answer == {
        "uniq_id": "",
        "status": "error",
        "error_description": "system auth error",
        "fio": None,
        "name_only": None,
        "usr_img": "img/avatar5.png",
    }


async def test_auth_without_a_password_says_input_values_not_alls(desk: Desk) -> None:
    answer = await desk.zenlix(mode="auth", login="someone")
    assert (answer["status"], answer["error_description"]) == ("error", "input values not alls")


async def test_auth_of_a_two_factor_user_is_refused(desk: Desk) -> None:
    user = await desk.user(key=False)
    me = await desk.sign_in(user)
    secret = (await desk.api.post("/api/v1/me/totp", headers=me)).json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert (
        await desk.api.post("/api/v1/me/totp/confirm", json={"code": code}, headers=me)
    ).status_code == 200
    answer = await desk.zenlix(mode="auth", login=user.login, **{"pass": PASSWORD})
    assert (answer["status"], answer["error_description"], answer["uniq_id"]) == (
        "error",
        "system auth error",
        "",
    )


async def test_auth_is_rate_limited_like_sign_in(desk: Desk) -> None:
    user = await desk.user(key=False)
    for _ in range(5):
        await desk.zenlix(mode="auth", login=user.login, **{"pass": "wrong"})
    resp = await desk.api.post("/api", json={"mode": "auth", "login": user.login, "pass": PASSWORD})
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) > 0
    assert resp.json()["status"] == "error" and resp.json()["uniq_id"] == ""


async def test_a_device_signing_in_again_replaces_its_key(desk: Desk) -> None:
    user = await desk.user(key=False)
    first = await desk.zenlix(mode="auth", login=user.login, device_token="phone-1", **{"pass": PASSWORD})
    other = await desk.zenlix(mode="auth", login=user.login, device_token="tablet", **{"pass": PASSWORD})
    second = await desk.zenlix(mode="auth", login=user.login, device_token="phone-1", **{"pass": PASSWORD})
    [old] = await desk.zenlix(mode="get_unit_list", uniq_id=first["uniq_id"])
    [new] = await desk.zenlix(mode="get_unit_list", uniq_id=second["uniq_id"])
    [tablet] = await desk.zenlix(mode="get_unit_list", uniq_id=other["uniq_id"])
    assert old["error_description"] == "system auth error"
    assert new["status"] == tablet["status"] == "ok"


async def test_reset_token_signs_the_device_out_and_answers_nothing(desk: Desk) -> None:
    user = await desk.user(key=False)
    phone = await desk.zenlix(mode="auth", login=user.login, device_token="phone-2", **{"pass": PASSWORD})
    resp = await desk.api.post(
        "/api", json={"mode": "reset_token", "uniq_id": phone["uniq_id"], "device_token": "phone-2"}
    )
    assert (resp.status_code, resp.content) == (200, b"")
    [after] = await desk.zenlix(mode="get_unit_list", uniq_id=phone["uniq_id"])
    assert after["error_description"] == "system auth error"


async def test_reset_token_needs_the_key(desk: Desk) -> None:
    [answer] = await desk.zenlix(mode="reset_token", device_token="phone-3")
    assert (answer["status"], answer["error_description"]) == ("error", "input values not alls")


async def test_sign_ins_without_a_device_keep_only_the_newest_five_keys(desk: Desk) -> None:
    user = await desk.user(key=False)
    keys = [
        (await desk.zenlix(mode="auth", login=user.login, **{"pass": PASSWORD}))["uniq_id"] for _ in range(6)
    ]
    answers = [(await desk.zenlix(mode="get_unit_list", uniq_id=k))[0]["status"] for k in keys]
    assert answers == ["error", "ok", "ok", "ok", "ok", "ok"]
