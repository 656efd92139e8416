"""Values notify could never send are refused through the gateway: 422 problem+json naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_kit.db import Database
from helpdesk_kit.trust import Mesh
from helpdesk_notify import usecases

from .fakes import Directory
from .gateway import bearer, gateway

ADMIN = bearer(99, admin=True)


def _refused(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.json()["errors"]] == [field], resp.text


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "POST",
            "/api/v1/mailings",
            {"subject": "Tonight\nBcc: all@x.test", "body": "b", "user_ids": [40]},
            "subject",
        ),
        ("PUT", "/api/v1/settings/pushbullet", {"enabled": True, "access_token": "o.токен"}, "access_token"),
        (
            "PUT",
            "/api/v1/settings/pushbullet",
            {"enabled": True, "access_token": "o.two words"},
            "access_token",
        ),
        (
            "PUT",
            "/api/v1/settings/mail",
            {"enabled": True, "host": "smtp.example.test", "from_address": "help desk@example.test"},
            "from_address",
        ),
        (
            "PUT",
            "/api/v1/settings/mail",
            {"host": "smtp.example.test", "from_address": "hd@example.test", "from_name": "Help\r\ndesk"},
            "from_name",
        ),
    ],
)
async def test_an_admin_setting_or_mailing_that_cannot_be_sent_is_a_422_naming_the_field(
    db: Database,
    directory: Directory,
    mesh: Callable[[str], Mesh],
    passports: PassportIssuer,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    async with gateway(db, directory, mesh, passports) as gw:
        _refused(await gw.request(method, path, json=body, headers=ADMIN), field)
    assert (await usecases.load_pushbullet_settings(db)).access_token == ""


@pytest.mark.parametrize("address", ["phone 21@example.test", "phöne@example.test", "dev ice"])
async def test_a_users_pushbullet_address_that_cannot_be_sent_to_is_a_422(
    db: Database, directory: Directory, mesh: Callable[[str], Mesh], passports: PassportIssuer, address: str
) -> None:
    async with gateway(db, directory, mesh, passports) as gw:
        resp = await gw.patch(
            "/api/v1/me/notification-settings", json={"pushbullet": address}, headers=bearer(21, admin=False)
        )
    _refused(resp, "pushbullet")
