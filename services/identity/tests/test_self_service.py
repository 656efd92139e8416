"""Registration and password recovery: the events say a link is due (never carry it);
notify asks identity for the link (IssueOneTimeLink) when it mails it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from helpdesk.identity.v1 import events_pb2
from helpdesk.identity.v1 import identity_pb2 as pb

from .conftest import Env


async def _published(env: Env, event: str) -> list[Any]:
    """The events identity committed to its outbox (the relay publishes them to NATS)."""
    async with env.db.unit_of_work() as uow:
        rows = await uow.conn.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 ORDER BY created_at", f"identity.{event}"
        )
    message = getattr(events_pb2, event)
    return [message.FromString(bytes(r["payload"])) for r in rows]


def _token(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


async def _link(env: Env, purpose: str, event: Any) -> str:
    """What notify gets when it mails the link the event made due."""
    resp = await env.as_service("notify").IssueOneTimeLink(
        pb.IssueOneTimeLinkRequest(purpose=purpose, user_id=event.user_id, requested_at=event.occurred_at)
    )
    return str(resp.url)


@pytest.mark.identity_settings(registration_enabled=True)
async def test_a_client_registers_confirms_by_the_mailed_link_and_signs_in(env: Env) -> None:
    body = {"email": "new@client.example", "password": "client-password", "full_name": "New Client"}
    resp = await env.api.post("/api/v1/auth/register", json=body)
    assert resp.status_code == 202, resp.text
    assert (await env.login("new@client.example", "client-password")).status_code == 401  # not confirmed yet
    [event] = await _published(env, "UserRegistered")
    assert event.email == "new@client.example"
    assert "token" not in str(event)  # no link travels in the event
    first = await _link(env, "confirm", event)
    url = await _link(env, "confirm", event)  # a retry of the mail: only the newest link works
    assert url.startswith("https://desk.example/auth/confirm?token=")
    stale = await env.api.post("/api/v1/auth/register/confirm", json={"token": _token(first)})
    assert stale.status_code == 422
    confirm = await env.api.post("/api/v1/auth/register/confirm", json={"token": _token(url)})
    assert confirm.status_code == 200 and confirm.json()["kind"] == "client"
    assert (await env.login("new@client.example", "client-password")).status_code == 200
    again = await env.api.post("/api/v1/auth/register/confirm", json={"token": _token(url)})
    assert again.status_code == 422
    assert await _link(env, "confirm", event) == ""  # confirmed: no link is due any more
    dup = await env.api.post("/api/v1/auth/register", json=body)
    assert dup.status_code == 422


async def test_registration_is_refused_when_switched_off(env: Env) -> None:
    body = {"email": "x@client.example", "password": "client-password", "full_name": "X"}
    assert (await env.api.post("/api/v1/auth/register", json=body)).status_code == 403
    assert await _published(env, "UserRegistered") == []


async def test_a_reset_link_sets_a_new_password_once(env: Env) -> None:
    await env.create_user(login="rita", password="old-password", email="rita@corp.example")
    resp = await env.api.post("/api/v1/auth/password-reset", json={"login_or_email": "RITA@corp.example"})
    assert resp.status_code == 202
    [event] = await _published(env, "PasswordResetRequested")
    assert event.email == "rita@corp.example" and "token" not in str(event)
    token = _token(await _link(env, "reset", event))
    done = await env.api.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "new-password"}
    )
    assert done.status_code == 204
    assert (await env.login("rita", "new-password")).status_code == 200
    assert (await env.login("rita", "old-password")).status_code == 401
    reused = await env.api.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "third-password"}
    )
    assert reused.status_code == 422
    assert (await env.login("rita", "new-password")).status_code == 200


async def test_a_reset_link_expires(env: Env) -> None:
    await env.create_user(login="sam", password="old-password", email="sam@corp.example")
    await env.api.post("/api/v1/auth/password-reset", json={"login_or_email": "sam"})
    [event] = await _published(env, "PasswordResetRequested")
    url = await _link(env, "reset", event)
    async with env.db.unit_of_work() as uow:  # an hour passes
        await uow.conn.execute("UPDATE one_time_tokens SET expires_at = now() - interval '1 second'")
        await uow.commit()
    resp = await env.api.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": _token(url), "new_password": "new-password"},
    )
    assert resp.status_code == 422
    assert (await env.login("sam", "old-password")).status_code == 200


async def test_a_reset_for_an_unknown_account_answers_the_same_and_mails_nothing(env: Env) -> None:
    resp = await env.api.post("/api/v1/auth/password-reset", json={"login_or_email": "nobody@x.example"})
    assert resp.status_code == 202
    assert await _published(env, "PasswordResetRequested") == []


async def test_a_user_changes_his_own_language_time_zone_and_pushbullet_but_not_his_role(env: Env) -> None:
    await env.create_user(login="self1", password="self-password")
    headers = {"Authorization": f"Bearer {await env.token('self1', 'self-password')}"}
    resp = await env.api.patch(
        "/api/v1/me",
        json={"language": "ru", "time_zone": "Europe/Moscow", "pushbullet": "me@push.example"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    me = (await env.api.get("/api/v1/me", headers=headers)).json()
    assert (me["language"], me["time_zone"], me["pushbullet"]) == ("ru", "Europe/Moscow", "me@push.example")
    assert me["role"] == "unit_member" and not me["is_admin"]
    refused = await env.api.patch("/api/v1/me", json={"is_admin": True}, headers=headers)
    assert refused.status_code == 422
    bad = await env.api.patch("/api/v1/me", json={"time_zone": "Mars/Olympus"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "time_zone"
    assert (await env.api.get("/api/v1/me", headers=headers)).json()["time_zone"] == "Europe/Moscow"


async def test_changing_the_password_needs_the_current_one_and_signs_out_the_other_sessions(env: Env) -> None:
    await env.create_user(login="self2", password="old-password")
    other = (await env.login("self2", "old-password")).json()["refresh_token"]
    this = {"Authorization": f"Bearer {await env.token('self2', 'old-password')}"}
    wrong = await env.api.post(
        "/api/v1/me/password",
        json={"current_password": "not-it", "new_password": "new-password"},
        headers=this,
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    assert (await env.login("self2", "old-password")).status_code == 200

    done = await env.api.post(
        "/api/v1/me/password",
        json={"current_password": "old-password", "new_password": "new-password"},
        headers=this,
    )
    assert done.status_code == 204, done.text
    assert (await env.login("self2", "old-password")).status_code == 401
    assert (await env.login("self2", "new-password")).status_code == 200
    async with env.db.unit_of_work() as uow:
        open_sessions = await uow.conn.fetchval(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.login = 'self2' AND s.revoked_at IS NULL"
        )
    # The session that made the change and the sign-in just above stay; the other one is revoked.
    assert open_sessions == 2
    assert (await env.api.post("/api/v1/auth/refresh", json={"refresh_token": other})).status_code == 401
    short = await env.api.post(
        "/api/v1/me/password",
        json={"current_password": "new-password", "new_password": "short"},
        headers=this,
    )
    assert short.status_code == 422


async def test_a_reset_asked_for_longer_ago_than_a_link_lives_gets_no_link(env: Env) -> None:
    await env.create_user(login="late", password="old-password", email="late@corp.example")
    await env.api.post("/api/v1/auth/password-reset", json={"login_or_email": "late"})
    [event] = await _published(env, "PasswordResetRequested")
    event.occurred_at.seconds -= env.settings.one_time_token_ttl_seconds + 60  # notify was away that long
    assert await _link(env, "reset", event) == ""
