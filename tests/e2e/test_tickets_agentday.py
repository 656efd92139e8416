"""The agent's day through the REST API with every service running: what the browser
pages rely on (error codes, file limits, search by number, clients' limits and reopening,
internal notes kept from clients, the default SLA plan of a unit, the pending work clock,
who is told of a reopen)."""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import bearer, login
from .test_web_agent import PASSWORD, new_unit, new_user

pytestmark = pytest.mark.e2e


def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """The first truthy answer of ``check`` (events travel through NATS)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def token_of(api: httpx.Client, user: dict[str, Any]) -> str:
    return login(api, user["login"], PASSWORD)


def ticket(api: httpx.Client, token: str, **body: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/tickets", json={"subject": "Help", **body}, headers=bearer(token))
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


def upload(api: httpx.Client, token: str, ticket_id: int, name: str, data: bytes) -> httpx.Response:
    return api.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        files={"file": (name, data)},
        headers=bearer(token),
        timeout=60,
    )


def test_a_file_over_the_10_mb_limit_is_the_size_refusal_with_its_code(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Big files")
    t = ticket(api, admin_token, unit_id=unit_id)
    # Just over the file limit, within the edge's body limit (10 MiB + 64 KiB): tickets refuses it.
    big = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(10 * 1024 * 1024)
    for _ in range(3):  # it used to answer "tickets failed: INTERNAL" (503) some of the time
        resp = upload(api, admin_token, t["id"], "big.png", big)
        assert resp.status_code == 422, resp.text
        body = resp.json()
        assert body["code"] == "file.refused"
        assert body["errors"][0]["code"] == "too_large"
        assert body["errors"][0]["params"] == {"max_bytes": 10 * 1024 * 1024}
        assert body["errors"][0]["message"] == "larger than 10 MB"


def test_a_16_mb_upload_is_refused_at_the_edge_with_a_stable_code(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Huge files")
    t = ticket(api, admin_token, unit_id=unit_id)
    resp = upload(
        api, admin_token, t["id"], "huge.png", b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(16 * 1024 * 1024)
    )
    assert resp.status_code == 413, resp.text
    assert resp.json()["code"] == "too_large"


def test_a_small_zip_is_taken_for_a_zip_and_a_refused_type_says_what_is_allowed(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Zips")
    t = ticket(api, admin_token, unit_id=unit_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("log.txt", "hello")
    refused = upload(api, admin_token, t["id"], "logs.zip", buf.getvalue())
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["code"] == "type_not_allowed" and "Word" not in error["message"]
    assert ".png" in error["params"]["allowed"] and ".pdf" in error["message"]
    settings = api.get("/api/v1/settings/tickets", headers=bearer(admin_token)).json()
    with_zip = {**settings, "allowed_types": [*settings["allowed_types"], "application/zip"]}
    assert api.put("/api/v1/settings/tickets", json=with_zip, headers=bearer(admin_token)).status_code == 200
    try:
        taken = eventually(
            lambda: (
                (r := upload(api, admin_token, t["id"], "logs.zip", buf.getvalue())).status_code == 201 and r
            ),
            timeout=15,
        )
        assert taken and taken.json()["content_type"] == "application/zip"
    finally:
        api.put("/api/v1/settings/tickets", json=settings, headers=bearer(admin_token))


def test_every_signed_in_user_reads_the_file_limits_in_bytes_and_extensions(
    api: httpx.Client, admin_token: str
) -> None:
    client = new_user(api, admin_token, "Limits Client", kind="client")
    got = api.get("/api/v1/ticket-settings", headers=bearer(token_of(api, client))).json()
    assert got["max_file_bytes"] == 10 * 1024 * 1024
    assert {".png", ".pdf", ".txt"} <= set(got["allowed_extensions"])
    assert ".bat" not in got["allowed_extensions"]


def test_a_subject_of_spaces_is_refused_at_the_subject_field_with_a_code(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Blank")
    resp = api.post(
        "/api/v1/tickets", json={"subject": "   ", "unit_id": unit_id}, headers=bearer(admin_token)
    )
    assert resp.status_code == 422
    assert [(e["field"], e["code"]) for e in resp.json()["errors"]] == [("subject", "blank")]


def test_searching_a_list_for_a_number_or_hash_number_finds_that_ticket(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Numbers")
    t = ticket(api, admin_token, unit_id=unit_id, subject="Numbered")
    for q in (str(t["number"]), f"#{t['number']}"):
        found = api.get("/api/v1/tickets", params={"q": q}, headers=bearer(admin_token)).json()["items"]
        assert [x["id"] for x in found] == [t["id"]], q


def test_a_client_changes_neither_priority_nor_deadline_and_reopens_his_done_ticket_by_commenting(
    api: httpx.Client, admin_token: str
) -> None:
    unit_id = new_unit(api, admin_token, "Clients")
    member = new_user(api, admin_token, "Mira Member", unit_ids=[unit_id])
    client = new_user(api, admin_token, "Cole Client", kind="client")
    ct, mt = token_of(api, client), token_of(api, member)
    t = ticket(api, ct, unit_id=unit_id)
    refused = api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "high"}, headers=bearer(ct))
    assert refused.status_code == 403 and refused.json()["code"] == "ticket.client_edit"
    moved = api.patch(
        f"/api/v1/tickets/{t['id']}", json={"deadline": "2030-01-01T00:00:00+00:00"}, headers=bearer(ct)
    )
    assert moved.status_code == 403
    for step in ("lock", "complete"):
        assert api.post(f"/api/v1/tickets/{t['id']}/{step}", headers=bearer(mt)).status_code == 200
    done = api.get(f"/api/v1/tickets/{t['id']}", headers=bearer(ct)).json()
    assert "edit" not in done["allowed_actions"]
    assert api.patch(f"/api/v1/tickets/{t['id']}", json={"body": "x"}, headers=bearer(ct)).status_code == 409
    api.post(f"/api/v1/tickets/{t['id']}/comments", json={"body": "Still broken"}, headers=bearer(ct))
    again = api.get(f"/api/v1/tickets/{t['id']}", headers=bearer(ct)).json()
    assert (again["state"], again["locked_by"]) == ("in_work", member["id"])


def test_an_internal_note_reaches_staff_only(api: httpx.Client, admin_token: str) -> None:
    unit_id = new_unit(api, admin_token, "Notes")
    member = new_user(api, admin_token, "Nina Notes", unit_ids=[unit_id])
    head = new_user(api, admin_token, "Hugo Head", unit_ids=[unit_id], role="unit_head")
    client = new_user(api, admin_token, "Carla Client", kind="client")
    ct, mt, ht = token_of(api, client), token_of(api, member), token_of(api, head)
    t = ticket(api, ct, unit_id=unit_id)
    assert api.post(f"/api/v1/tickets/{t['id']}/lock", headers=bearer(mt)).status_code == 200
    note = api.post(
        f"/api/v1/tickets/{t['id']}/comments",
        json={"body": "Client's printer is ancient", "internal": True},
        headers=bearer(ht),
    )
    assert note.status_code == 201 and note.json()["internal"] is True
    assert (
        api.post(
            f"/api/v1/tickets/{t['id']}/comments", json={"body": "psst", "internal": True}, headers=bearer(ct)
        ).status_code
        == 403
    )
    staff_comments = api.get(f"/api/v1/tickets/{t['id']}/comments", headers=bearer(mt)).json()["items"]
    client_comments = api.get(f"/api/v1/tickets/{t['id']}/comments", headers=bearer(ct)).json()["items"]
    assert [c["internal"] for c in staff_comments] == [True] and client_comments == []
    # the member holding it is told; the client (its author) is not
    assert eventually(
        lambda: any(
            n["event"] == "ticket.commented"
            for n in api.get("/api/v1/me/notifications", headers=bearer(mt)).json()["items"]
        )
    )
    time.sleep(1)
    client_popups = api.get("/api/v1/me/notifications", headers=bearer(ct)).json()["items"]
    assert not [n for n in client_popups if n["event"] == "ticket.commented"]


def test_reopening_tells_the_member_it_goes_back_to(api: httpx.Client, admin_token: str) -> None:
    unit_id = new_unit(api, admin_token, "Reopen")
    member = new_user(api, admin_token, "Rita Member", unit_ids=[unit_id])
    head = new_user(api, admin_token, "Rolf Head", unit_ids=[unit_id], role="unit_head")
    mt, ht = token_of(api, member), token_of(api, head)
    t = ticket(api, admin_token, unit_id=unit_id)
    for step in ("lock", "complete"):
        assert api.post(f"/api/v1/tickets/{t['id']}/{step}", headers=bearer(mt)).status_code == 200
    assert api.post(f"/api/v1/tickets/{t['id']}/reopen", headers=bearer(ht)).status_code == 200
    told = eventually(
        lambda: [
            n
            for n in api.get("/api/v1/me/notifications", headers=bearer(mt)).json()["items"]
            if n["event"] == "ticket.reopened" and n["ticket_id"] == t["id"]
        ]
    )
    assert told


def test_a_units_default_plan_holds_a_free_text_ticket_and_its_untaken_work_clock_is_pending(
    api: httpx.Client, admin_token: str
) -> None:
    auth = bearer(admin_token)
    unit_id = new_unit(api, admin_token, "Default plan")
    plan = api.post(
        "/api/v1/sla-plans",
        json={
            "name": f"Unit default {secrets.token_hex(2)}",
            "limits": {"normal": {"reaction": 3600, "work": 7200}},
        },
        headers=auth,
    ).json()
    settings = api.get("/api/v1/settings/tickets", headers=auth).json()
    plans = {**settings["unit_sla_plans"], str(unit_id): plan["id"]}
    assert (
        api.put(
            "/api/v1/settings/tickets", json={**settings, "unit_sla_plans": plans}, headers=auth
        ).status_code
        == 200
    )
    t = eventually(
        lambda: (x := ticket(api, admin_token, unit_id=unit_id, subject="Free words"))["sla_plan_id"] and x
    )
    assert t and t["sla_plan_id"] == plan["id"]
    clocks = eventually(
        lambda: (
            (c := api.get(f"/api/v1/tickets/{t['id']}/sla", headers=auth).json())["work"]["limit_seconds"]
            and c
        )
    )
    assert clocks["work"]["state"] == "pending" and clocks["work"]["is_running"] is False
    assert clocks["reaction"]["state"] == "ok"
