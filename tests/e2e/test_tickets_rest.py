"""The tickets REST surface through the gateway: life cycle, permissions, ETag, lists, comments."""

from __future__ import annotations

import secrets

import httpx
import pytest

from .conftest import bearer, login

pytestmark = pytest.mark.e2e


def staff(
    api: httpx.Client, admin_token: str, unit_ids: list[int], role: str = "unit_member"
) -> tuple[int, str]:
    name = f"u{secrets.token_hex(4)}"
    resp = api.post(
        "/api/v1/users",
        json={
            "login": name,
            "password": "a-long-password",
            "full_name": name,
            "kind": "staff",
            "role": role,
            "unit_ids": unit_ids,
        },
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], login(api, name, "a-long-password")


def unit(api: httpx.Client, admin_token: str) -> int:
    resp = api.post(
        "/api/v1/units", json={"name": f"Unit {secrets.token_hex(4)}"}, headers=bearer(admin_token)
    )
    assert resp.status_code == 201, resp.text
    unit_id: int = resp.json()["id"]
    return unit_id


def test_two_members_work_a_ticket_through_its_life(api: httpx.Client, admin_token: str) -> None:
    helpdesk, other = unit(api, admin_token), unit(api, admin_token)
    anna_id, anna = staff(api, admin_token, [helpdesk])
    _, boris = staff(api, admin_token, [helpdesk])
    _, stranger = staff(api, admin_token, [other])
    word = f"zebra{secrets.token_hex(3)}"

    created = api.post(
        "/api/v1/tickets",
        json={"subject": f"Printer {word}", "body": "jams", "unit_id": helpdesk},
        headers={**bearer(boris), "Idempotency-Key": "k1"},
    )
    assert created.status_code == 201, created.text
    t = created.json()
    again = api.post(
        "/api/v1/tickets",
        json={"subject": f"Printer {word}", "body": "jams", "unit_id": helpdesk},
        headers={**bearer(boris), "Idempotency-Key": "k1"},
    )
    assert again.json()["id"] == t["id"]
    url = f"/api/v1/tickets/{t['id']}"

    assert api.get(url, headers=bearer(stranger)).status_code == 404
    seen = api.get(url, headers=bearer(anna))
    assert seen.status_code == 200 and "lock" in seen.json()["allowed_actions"]
    etag = seen.headers["ETag"]

    taken = api.post(f"{url}/lock", headers=bearer(anna))
    assert taken.status_code == 200 and taken.json()["locked_by"] == anna_id
    assert set(taken.json()["allowed_actions"]) >= {"unlock", "complete", "forward"}
    conflict = api.post(f"{url}/lock", headers=bearer(boris))
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert api.post(f"{url}/unlock", headers=bearer(boris)).status_code == 403

    stale = api.patch(url, json={"body": "jams daily"}, headers={**bearer(boris), "If-Match": etag})
    assert stale.status_code == 412
    fresh = api.get(url, headers=bearer(boris)).headers["ETag"]
    edited = api.patch(url, json={"body": "jams daily"}, headers={**bearer(boris), "If-Match": fresh})
    assert edited.status_code == 200 and edited.json()["body"] == "jams daily"

    comment = api.post(
        f"{url}/comments", json={"body": "<script>alert(1)</script>**on it**"}, headers=bearer(anna)
    )
    assert comment.status_code == 201
    assert "<script" not in comment.json()["html"] and "<strong>on it</strong>" in comment.json()["html"]

    assert api.post(f"{url}/complete", headers=bearer(anna)).json()["state"] == "done"
    history = api.get(f"{url}/history", headers=bearer(boris)).json()["items"]
    assert [h["action"] for h in history] == ["created", "locked", "edited", "commented", "completed"]
    assert history[2]["changes"] == {"body": ["jams", "jams daily"]}

    inbox = api.get("/api/v1/tickets", params={"box": "inbox", "q": word}, headers=bearer(anna)).json()
    assert [i["id"] for i in inbox["items"]] == [t["id"]]
    assert api.get("/api/v1/tickets", params={"q": word}, headers=bearer(stranger)).json()["items"] == []
    outbox = api.get(
        "/api/v1/tickets", params={"box": "outbox", "state": "done"}, headers=bearer(boris)
    ).json()
    assert t["id"] in [i["id"] for i in outbox["items"]]


def test_bad_input_is_a_clear_4xx(api: httpx.Client, admin_token: str) -> None:
    helpdesk = unit(api, admin_token)
    _, anna = staff(api, admin_token, [helpdesk])
    bad = api.post("/api/v1/tickets", json={"subject": "x", "unit_id": 999_999}, headers=bearer(anna))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "unit_id"
    assert api.get("/api/v1/tickets", params={"cursor": "garbage"}, headers=bearer(anna)).status_code == 422
    assert api.post("/api/v1/subjects", json={"name": "VPN"}, headers=bearer(anna)).status_code == 403
    assert api.get("/api/v1/settings/tickets", headers=bearer(anna)).status_code == 403
    recurring = api.post(
        "/api/v1/recurring-tickets",
        json={
            "subject": "Backups",
            "unit_id": helpdesk,
            "kind": "weekly",
            "at": "09:00",
            "start": "2026-01-01",
        },
        headers=bearer(anna),
    )
    assert recurring.status_code == 422 and recurring.json()["errors"][0]["field"] == "weekdays"
    recurring = api.post(
        "/api/v1/recurring-tickets",
        json={
            "subject": "Backups",
            "unit_id": helpdesk,
            "kind": "daily",
            "at": "09:00",
            "start": "2026-01-01",
        },
        headers=bearer(anna),
    )
    assert recurring.status_code == 201 and recurring.json()["next_run_at"].endswith("09:00:00Z")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 40


def test_files_are_sniffed_and_only_ever_downloaded_never_rendered(
    api: httpx.Client, admin_token: str
) -> None:
    helpdesk, other = unit(api, admin_token), unit(api, admin_token)
    _, anna = staff(api, admin_token, [helpdesk])
    _, stranger = staff(api, admin_token, [other])
    t = api.post(
        "/api/v1/tickets", json={"subject": "Screenshot", "unit_id": helpdesk}, headers=bearer(anna)
    ).json()
    url = f"/api/v1/tickets/{t['id']}/attachments"

    php = api.post(
        url, files={"file": ("cat.png", b"<?php system($_GET['c']); ?>", "image/png")}, headers=bearer(anna)
    )
    assert php.status_code == 422 and php.json()["errors"][0]["field"] == "file"
    html = api.post(
        url,
        files={"file": ("cat.png", b"<html><script>alert(1)</script>", "image/png")},
        headers=bearer(anna),
    )
    assert html.status_code == 422

    ok = api.post(url, files={"file": ("cat.png", PNG, "image/png")}, headers=bearer(anna))
    assert ok.status_code == 201, ok.text
    a = ok.json()
    assert (a["content_type"], a["size"]) == ("image/png", len(PNG))
    assert [x["id"] for x in api.get(url, headers=bearer(anna)).json()["items"]] == [a["id"]]

    got = api.get(f"/api/v1/attachments/{a['id']}", headers=bearer(anna))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"] == "image/png"
    assert api.get(f"/api/v1/attachments/{a['id']}", headers=bearer(stranger)).status_code == 404
