"""The tickets REST additions through the real gateway: custom fields, names, comment
files, the editable deadline, history pages, counters, subjects, recurring, preview."""

from __future__ import annotations

import secrets

import httpx
import pytest

from .conftest import bearer, login
from .test_tickets_rest import PNG, staff, unit

pytestmark = pytest.mark.e2e


def client_user(api: httpx.Client, admin_token: str) -> tuple[int, str, str]:
    name = f"c{secrets.token_hex(4)}"
    resp = api.post(
        "/api/v1/users",
        json={"login": name, "password": "a-long-password", "full_name": f"Client {name}", "kind": "client"},
        headers=bearer(admin_token),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], f"Client {name}", login(api, name, "a-long-password")


def test_custom_fields_are_defined_by_admins_and_clients_see_only_theirs(
    api: httpx.Client, admin_token: str
) -> None:
    helpdesk = unit(api, admin_token)
    anna_id, anna = staff(api, admin_token, [helpdesk])
    client_id, client_name, client = client_user(api, admin_token)
    admin = bearer(admin_token)

    assert (
        api.post(
            "/api/v1/custom-fields", json={"name": "X", "kind": "text"}, headers=bearer(anna)
        ).status_code
        == 403
    )
    bad = api.post(
        "/api/v1/custom-fields", json={"name": "OS", "kind": "select", "options": []}, headers=admin
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "options"
    tag = secrets.token_hex(3)
    model = api.post(
        "/api/v1/custom-fields",
        json={"name": f"Model {tag}", "kind": "select", "options": ["X1", "X2"], "client_visible": True},
        headers=admin,
    )
    assert model.status_code == 201, model.text
    cost = api.post(
        "/api/v1/custom-fields", json={"name": f"Cost {tag}", "kind": "text"}, headers=admin
    ).json()
    m = model.json()
    assert {k: m[k] for k in ("kind", "options", "required", "client_visible", "position")} == {
        "kind": "select",
        "options": ["X1", "X2"],
        "required": False,
        "client_visible": True,
        "position": 0,
    }
    staff_ids = [f["id"] for f in api.get("/api/v1/custom-fields", headers=bearer(anna)).json()["items"]]
    client_ids = [f["id"] for f in api.get("/api/v1/custom-fields", headers=bearer(client)).json()["items"]]
    assert {m["id"], cost["id"]} <= set(staff_ids) and m["id"] in client_ids and cost["id"] not in client_ids

    refused = api.post(
        "/api/v1/tickets",
        json={"subject": "Phone", "unit_id": helpdesk, "custom_fields": {str(cost["id"]): "10"}},
        headers=bearer(client),
    )
    assert (
        refused.status_code == 422 and refused.json()["errors"][0]["field"] == f"custom_fields.{cost['id']}"
    )
    wrong = api.post(
        "/api/v1/tickets",
        json={"subject": "Phone", "unit_id": helpdesk, "custom_fields": {str(m["id"]): "X9"}},
        headers=bearer(client),
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == f"custom_fields.{m['id']}"
    created = api.post(
        "/api/v1/tickets",
        json={"subject": "Phone", "unit_id": helpdesk, "custom_fields": {str(m["id"]): "X1"}},
        headers=bearer(client),
    )
    assert created.status_code == 201, created.text
    t = created.json()
    assert t["custom_fields"] == {str(m["id"]): "X1"}
    assert t["names"] == {str(client_id): client_name}
    url = f"/api/v1/tickets/{t['id']}"

    taken = api.post(f"{url}/lock", headers=bearer(anna)).json()
    assert set(taken["names"]) == {str(client_id), str(anna_id)}
    head_id, head = staff(api, admin_token, [helpdesk], role="unit_head")
    patched = api.patch(url, json={"custom_fields": {str(cost["id"]): "250"}}, headers=bearer(head))
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom_fields"] == {str(m["id"]): "X1", str(cost["id"]): "250"}
    assert api.get(url, headers=bearer(client)).json()["custom_fields"] == {str(m["id"]): "X1"}
    listed = api.get("/api/v1/tickets", params={"box": "inbox"}, headers=bearer(client)).json()
    mine = next(i for i in listed["items"] if i["id"] == t["id"])
    assert mine["custom_fields"] == {str(m["id"]): "X1"}
    assert set(mine["names"]) == {str(client_id), str(anna_id)}
    history = api.get(f"{url}/history", headers=bearer(head)).json()
    assert history["items"][-1]["changes"] == {f"custom_fields.{cost['id']}": [None, "250"]}
    assert str(head_id) in history["names"]
    client_history = api.get(f"{url}/history", headers=bearer(client)).json()["items"]
    assert all(f"custom_fields.{cost['id']}" not in h["changes"] for h in client_history)

    assert api.delete(f"/api/v1/custom-fields/{cost['id']}", headers=bearer(anna)).status_code == 403
    assert api.delete(f"/api/v1/custom-fields/{cost['id']}", headers=admin).status_code == 204
    assert str(cost["id"]) not in api.get(url, headers=bearer(head)).json()["custom_fields"]
    renamed = api.patch(
        f"/api/v1/custom-fields/{m['id']}", json={"options": ["X1", "X2", "X3"]}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["options"] == ["X1", "X2", "X3"]


def test_comment_files_deadline_and_history_pages(api: httpx.Client, admin_token: str) -> None:
    helpdesk = unit(api, admin_token)
    anna_id, anna = staff(api, admin_token, [helpdesk])
    _, boris = staff(api, admin_token, [helpdesk])
    t = api.post(
        "/api/v1/tickets", json={"subject": "Screen", "unit_id": helpdesk}, headers=bearer(anna)
    ).json()
    url = f"/api/v1/tickets/{t['id']}"
    up = api.post(f"{url}/attachments", files={"file": ("shot.png", PNG, "image/png")}, headers=bearer(anna))
    assert up.status_code == 201, up.text
    a = up.json()
    assert a["comment_id"] is None
    borrowed = api.post(f"{url}/comments", json={"attachment_ids": [a["id"]]}, headers=bearer(boris))
    assert borrowed.status_code == 422 and borrowed.json()["errors"][0]["field"] == "attachment_ids"
    assert api.post(f"{url}/comments", json={"body": ""}, headers=bearer(anna)).status_code == 422
    c = api.post(f"{url}/comments", json={"attachment_ids": [a["id"]]}, headers=bearer(anna))
    assert c.status_code == 201, c.text
    assert c.json()["attachments"] == [
        {"id": a["id"], "filename": "shot.png", "content_type": "image/png", "size": len(PNG)}
    ]
    assert c.json()["attachment_ids"] == [a["id"]]
    comments = api.get(f"{url}/comments", headers=bearer(boris)).json()
    assert comments["items"][0]["attachments"][0]["id"] == a["id"] and str(anna_id) in comments["names"]
    files = api.get(f"{url}/attachments", headers=bearer(anna)).json()["items"]
    assert files[0]["comment_id"] == c.json()["id"]

    etag = api.get(url, headers=bearer(anna)).headers["ETag"]
    moved = api.patch(
        url, json={"deadline": "2026-12-24T18:00:00+03:00"}, headers={**bearer(anna), "If-Match": etag}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["deadline"] == "2026-12-24T15:00:00Z"
    assert api.patch(url, json={"deadline": "2026-12-24T18:00:00"}, headers=bearer(anna)).status_code == 422
    stale = api.patch(url, json={"deadline": None}, headers={**bearer(anna), "If-Match": etag})
    assert stale.status_code == 412
    cleared = api.patch(url, json={"deadline": None}, headers=bearer(anna))
    assert cleared.status_code == 200 and cleared.json()["deadline"] is None

    first = api.get(f"{url}/history", params={"limit": 2}, headers=bearer(anna)).json()
    assert [h["action"] for h in first["items"]] == ["created", "edited"] and first["next_cursor"]
    rest = api.get(
        f"{url}/history", params={"limit": 50, "cursor": first["next_cursor"]}, headers=bearer(anna)
    ).json()
    assert [h["action"] for h in rest["items"]] == ["commented", "edited", "edited"] and rest[
        "next_cursor"
    ] is None
    assert rest["items"][1]["changes"] == {"deadline": [None, "2026-12-24T15:00:00+00:00"]}


def test_counters_subjects_recurring_and_the_preview(api: httpx.Client, admin_token: str) -> None:
    helpdesk = unit(api, admin_token)
    anna_id, anna = staff(api, admin_token, [helpdesk])
    _, _, client = client_user(api, admin_token)
    admin = bearer(admin_token)
    for _ in range(2):
        api.post("/api/v1/tickets", json={"subject": "Mouse", "unit_id": helpdesk}, headers=bearer(client))
    t = api.post(
        "/api/v1/tickets", json={"subject": "Mouse", "unit_id": helpdesk}, headers=bearer(client)
    ).json()
    api.post(f"/api/v1/tickets/{t['id']}/lock", headers=bearer(anna))
    counts = api.get("/api/v1/tickets/counters", headers=bearer(anna)).json()
    assert counts == {"new": 2, "in_work": 1, "mine": 1, "sla_warning": 0, "sla_breached": 0}
    assert api.get("/api/v1/tickets/counters", headers=bearer(client)).json()["new"] == 2

    name = f"Subject {secrets.token_hex(3)}"
    s = api.post("/api/v1/subjects", json={"name": name, "sla_plan_id": 7}, headers=admin).json()
    assert (
        api.patch(f"/api/v1/subjects/{s['id']}", json={"name": "x"}, headers=bearer(anna)).status_code == 403
    )
    patched = api.patch(
        f"/api/v1/subjects/{s['id']}", json={"name": name + "!", "sla_plan_id": None}, headers=admin
    )
    assert patched.status_code == 200 and patched.json() == {
        "id": s["id"],
        "name": name + "!",
        "sla_plan_id": None,
    }
    assert api.delete(f"/api/v1/subjects/{s['id']}", headers=bearer(anna)).status_code == 403
    assert api.delete(f"/api/v1/subjects/{s['id']}", headers=admin).status_code == 204
    assert api.delete(f"/api/v1/subjects/{s['id']}", headers=admin).status_code == 404

    r = api.post(
        "/api/v1/recurring-tickets",
        json={
            "subject": "Backups",
            "unit_id": helpdesk,
            "kind": "daily",
            "at": "09:00",
            "start": "2026-01-01",
        },
        headers=bearer(anna),
    ).json()
    assert api.get("/api/v1/recurring-tickets", headers=bearer(client)).status_code == 403
    items = api.get("/api/v1/recurring-tickets", headers=bearer(anna)).json()["items"]
    assert [
        (i["id"], i["author_id"], i["active"], i["template"]["subject"], i["schedule"]["kind"]) for i in items
    ] == [(r["id"], anna_id, True, "Backups", "daily")]
    assert (items[0]["subject"], items[0]["unit_id"], items[0]["at"], items[0]["schedule"]["at"]) == (
        "Backups",
        helpdesk,
        "09:00",
        "09:00",
    )
    assert r["id"] in [i["id"] for i in api.get("/api/v1/recurring-tickets", headers=admin).json()["items"]]
    paused = api.patch(f"/api/v1/recurring-tickets/{r['id']}", json={"active": False}, headers=bearer(anna))
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert api.delete(f"/api/v1/recurring-tickets/{r['id']}", headers=bearer(anna)).status_code == 204
    assert api.get("/api/v1/recurring-tickets", headers=bearer(anna)).json()["items"] == []

    preview = api.post("/api/v1/markdown", json={"text": "**hi** <script>x</script>"}, headers=bearer(client))
    assert preview.status_code == 200
    assert "<strong>hi</strong>" in preview.json()["html"] and "<script" not in preview.json()["html"]
    assert (
        api.post("/api/v1/markdown", json={"text": "x" * 50_001}, headers=bearer(client)).status_code == 422
    )
    assert api.post("/api/v1/markdown", json={"text": "x"}).status_code == 401
