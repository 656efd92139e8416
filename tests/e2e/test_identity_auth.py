"""Identity end to end, every service a process: sign-in, refresh, tokens, revocation, directory."""

from __future__ import annotations

import secrets

import httpx
import pytest

from .conftest import bearer

pytestmark = pytest.mark.e2e


def _user(api: httpx.Client, admin_token: str, **fields: object) -> dict[str, object]:
    body = {
        "login": f"e2e-{secrets.token_hex(4)}",
        "password": "e2e-password",
        "full_name": "E2E User",
        "kind": "staff",
        "role": "unit_member",
        **fields,
    }
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    user: dict[str, object] = resp.json()
    return user


def test_a_user_signs_in_refreshes_and_logs_out_through_the_gateway(
    api: httpx.Client, admin_token: str
) -> None:
    user = _user(api, admin_token)
    pair = api.post("/api/v1/auth/login", json={"login": user["login"], "password": "e2e-password"}).json()
    renewed = api.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert renewed.status_code == 200
    headers = bearer(renewed.json()["access_token"])
    assert api.get("/api/v1/me", headers=headers).json()["login"] == user["login"]
    assert api.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.get("/api/v1/me", headers=headers).status_code == 401  # the very next request


def test_an_api_token_works_until_revoked_and_clients_cannot_list_users(
    api: httpx.Client, admin_token: str
) -> None:
    user = _user(api, admin_token)
    token = api.post("/api/v1/auth/login", json={"login": user["login"], "password": "e2e-password"}).json()
    headers = bearer(token["access_token"])
    created = api.post("/api/v1/me/tokens", json={"name": "ci"}, headers=headers).json()
    assert api.get("/api/v1/users", headers=bearer(created["token"])).status_code == 200
    api.delete(f"/api/v1/me/tokens/{created['id']}", headers=headers)
    assert api.get("/api/v1/me", headers=bearer(created["token"])).status_code == 401  # the very next
    client = _user(api, admin_token, kind="client", role=None)
    client_token = api.post(
        "/api/v1/auth/login", json={"login": client["login"], "password": "e2e-password"}
    ).json()["access_token"]
    assert api.get("/api/v1/users", headers=bearer(client_token)).status_code == 403
