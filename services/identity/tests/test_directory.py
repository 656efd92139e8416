"""The directory through the gateway: who may list and change it, search, and bad input."""

from __future__ import annotations

from typing import Any

from .conftest import Env, bearer


async def _count_users(env: Env) -> int:
    async with env.db.unit_of_work() as uow:
        count: int = await uow.conn.fetchval("SELECT count(*) FROM users")
        return count


async def test_a_client_cannot_list_users_while_staff_can(env: Env) -> None:
    await env.create_user(login="staff1", password="staff-password")
    await env.create_user(login="client1", password="client-password", kind="client", role=None)
    client = await env.api.get("/api/v1/users", headers=bearer(await env.token("client1", "client-password")))
    assert client.status_code == 403
    staff = await env.api.get("/api/v1/users", headers=bearer(await env.token("staff1", "staff-password")))
    assert staff.status_code == 200
    assert {u["login"] for u in staff.json()["items"]} == {"system", "staff1", "client1"}


async def test_only_admins_create_users(env: Env) -> None:
    await env.create_user(login="staff2", password="staff-password")
    headers = bearer(await env.token("staff2", "staff-password"))
    body = {"login": "x1", "full_name": "X", "kind": "staff", "role": "unit_member"}
    assert (await env.api.post("/api/v1/users", json=body, headers=headers)).status_code == 403
    assert (await env.api.post("/api/v1/units", json={"name": "U"}, headers=headers)).status_code == 403


async def test_search_is_partial_and_ignores_case_over_login_name_email_and_phone(env: Env) -> None:
    await env.create_user(
        login="petrov", full_name="Ivan Petrov", email="ivan@corp.example", phone="+7 900 111"
    )
    await env.create_user(
        login="sidorova", full_name="Olga Sidorova", email="olga@other.example", phone="555"
    )

    async def search(q: str) -> set[str]:
        resp = await env.api.get("/api/v1/users", params={"q": q}, headers=env.admin)
        assert resp.status_code == 200
        return {u["login"] for u in resp.json()["items"]}

    assert await search("PETR") == {"petrov"}
    assert await search("olga@") == {"sidorova"}
    assert await search("900 1") == {"petrov"}
    assert await search("example") == {"petrov", "sidorova"}
    assert await search("100%") == set()


async def test_listing_pages_with_a_cursor_and_filters_by_unit_and_kind(env: Env) -> None:
    unit = (await env.api.post("/api/v1/units", json={"name": "Desk"}, headers=env.admin)).json()
    for i in range(5):
        await env.create_user(login=f"member{i}", unit_ids=[unit["id"]])
    await env.create_user(login="client9", kind="client", role=None)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"unit_id": unit["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await env.api.get("/api/v1/users", params=params, headers=env.admin)).json()
        seen += [u["login"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"member{i}" for i in range(5)]
    clients = (await env.api.get("/api/v1/users", params={"kind": "client"}, headers=env.admin)).json()
    assert [u["login"] for u in clients["items"]] == ["client9"]
    members = await env.api.get(f"/api/v1/units/{unit['id']}/members", headers=env.admin)
    assert len(members.json()["items"]) == 5


async def test_bad_input_is_422_problem_and_writes_nothing(env: Env) -> None:
    await env.create_user(login="taken")
    before = await _count_users(env)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"login": "TAKEN", "full_name": "T", "kind": "staff", "role": "unit_member"}, "login"),
        (
            {"login": "mail1", "full_name": "M", "kind": "staff", "role": "unit_member", "email": "no-at"},
            "email",
        ),
        (
            {"login": "unit1", "full_name": "U", "kind": "staff", "role": "unit_member", "unit_ids": [999]},
            "unit_ids",
        ),
        ({"login": "cli1", "full_name": "C", "kind": "client", "role": "unit_head"}, "role"),
        (
            {"login": "tz1", "full_name": "Z", "kind": "staff", "role": "unit_member", "time_zone": "Mars/X"},
            "time_zone",
        ),
        ({"login": "cg1", "full_name": "G", "kind": "client", "client_group_id": 77}, "client_group_id"),
    ]
    for body, field in cases:
        resp = await env.api.post("/api/v1/users", json=body, headers=env.admin)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in resp.json()["errors"]}, resp.text
    assert await _count_users(env) == before


async def test_an_admin_edits_a_user_and_the_rules_still_hold(env: Env) -> None:
    user = await env.create_user(login="olek")
    url = f"/api/v1/users/{user['id']}"
    resp = await env.api.patch(
        url,
        json={"full_name": "Olek B", "pushbullet": "olek@pb.example", "time_zone": "Europe/Berlin"},
        headers=env.admin,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["full_name"] == "Olek B" and resp.json()["time_zone"] == "Europe/Berlin"
    assert resp.json()["pushbullet"] == "olek@pb.example"
    bad = await env.api.patch(url, json={"kind": "client"}, headers=env.admin)
    assert bad.status_code == 422  # kind is not editable
    bad = await env.api.patch(url, json={"role": None}, headers=env.admin)
    assert bad.status_code == 422
    assert (await env.api.get(url, headers=env.admin)).json()["role"] == "unit_member"


async def test_client_groups_have_a_lead_and_positions_exist(env: Env) -> None:
    lead = await env.create_user(login="lead1", kind="client", role=None)
    group = await env.api.post(
        "/api/v1/client-groups", json={"name": "ACME", "lead_id": lead["id"]}, headers=env.admin
    )
    assert group.status_code == 201
    got = (await env.api.get(f"/api/v1/users/{lead['id']}", headers=env.admin)).json()
    assert got["client_group_id"] == group.json()["id"] and got["is_client_group_lead"] is True
    member = await env.create_user(
        login="acme2", kind="client", role=None, client_group_id=group.json()["id"]
    )
    assert member["client_group_id"] == group.json()["id"]
    position = await env.api.post("/api/v1/positions", json={"name": "Engineer"}, headers=env.admin)
    assert position.status_code == 201
    listed = (await env.api.get("/api/v1/positions", headers=env.admin)).json()["items"]
    assert listed == [{"id": position.json()["id"], "name": "Engineer"}]
    dup = await env.api.post("/api/v1/positions", json={"name": "engineer"}, headers=env.admin)
    assert dup.status_code == 422


async def test_client_groups_and_positions_are_renamed_re_led_and_deleted_by_admins_only(env: Env) -> None:
    first = await env.create_user(login="lead2", kind="client", role=None)
    second = await env.create_user(login="lead3", kind="client", role=None)
    staff = await env.create_user(login="staff9", password="staff-password")
    group = (
        await env.api.post(
            "/api/v1/client-groups", json={"name": "Initech", "lead_id": first["id"]}, headers=env.admin
        )
    ).json()
    as_staff = bearer(await env.token("staff9", "staff-password"))
    refused = await env.api.patch(
        f"/api/v1/client-groups/{group['id']}", json={"name": "X"}, headers=as_staff
    )
    assert refused.status_code == 403

    changed = await env.api.patch(
        f"/api/v1/client-groups/{group['id']}",
        json={"name": "Initrode", "lead_id": second["id"]},
        headers=env.admin,
    )
    assert changed.status_code == 200 and changed.json() == {
        "id": group["id"],
        "name": "Initrode",
        "lead_id": second["id"],
    }
    old = (await env.api.get(f"/api/v1/users/{first['id']}", headers=env.admin)).json()
    new = (await env.api.get(f"/api/v1/users/{second['id']}", headers=env.admin)).json()
    assert (old["client_group_id"], old["is_client_group_lead"]) == (group["id"], False)
    assert (new["client_group_id"], new["is_client_group_lead"]) == (group["id"], True)
    not_a_client = await env.api.patch(
        f"/api/v1/client-groups/{group['id']}", json={"lead_id": staff["id"]}, headers=env.admin
    )
    assert not_a_client.status_code == 422

    assert (
        await env.api.delete(f"/api/v1/client-groups/{group['id']}", headers=env.admin)
    ).status_code == 204
    gone = (await env.api.get(f"/api/v1/users/{second['id']}", headers=env.admin)).json()
    assert (gone["client_group_id"], gone["is_client_group_lead"]) == (None, False)
    assert (
        await env.api.delete(f"/api/v1/client-groups/{group['id']}", headers=env.admin)
    ).status_code == 404

    position = (await env.api.post("/api/v1/positions", json={"name": "Clerk"}, headers=env.admin)).json()
    holder = await env.create_user(login="clerk1", position_id=position["id"])
    renamed = await env.api.patch(
        f"/api/v1/positions/{position['id']}", json={"name": "Senior clerk"}, headers=env.admin
    )
    assert renamed.json() == {"id": position["id"], "name": "Senior clerk"}
    assert (await env.api.delete(f"/api/v1/positions/{position['id']}", headers=env.admin)).status_code == 204
    assert (await env.api.get(f"/api/v1/users/{holder['id']}", headers=env.admin)).json()[
        "position_id"
    ] is None


async def test_only_a_unit_without_members_can_be_deleted(env: Env) -> None:
    unit = (await env.api.post("/api/v1/units", json={"name": "Old desk"}, headers=env.admin)).json()
    member = await env.create_user(login="desk1", unit_ids=[unit["id"]])
    busy = await env.api.delete(f"/api/v1/units/{unit['id']}", headers=env.admin)
    assert busy.status_code == 409 and busy.headers["content-type"] == "application/problem+json"
    moved = await env.api.patch(
        f"/api/v1/users/{member['id']}", json={"role": "unit_member", "unit_ids": []}, headers=env.admin
    )
    assert moved.status_code == 200, moved.text
    assert (await env.api.delete(f"/api/v1/units/{unit['id']}", headers=env.admin)).status_code == 204
    names = {u["name"] for u in (await env.api.get("/api/v1/units", headers=env.admin)).json()["items"]}
    assert "Old desk" not in names


async def test_a_client_sees_himself_but_not_others(env: Env) -> None:
    me = await env.create_user(login="cl1", kind="client", role=None)
    other = await env.create_user(login="cl2", kind="client", role=None)
    headers = bearer(await env.token("cl1", "password-1"))
    assert (await env.api.get(f"/api/v1/users/{me['id']}", headers=headers)).status_code == 200
    assert (await env.api.get(f"/api/v1/users/{other['id']}", headers=headers)).status_code == 404
