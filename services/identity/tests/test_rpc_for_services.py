"""The gRPC calls other services make: batched users, heads, client groups, keys."""

from __future__ import annotations

import base64

import orjson
from helpdesk.identity.v1 import identity_pb2 as pb

from .conftest import Env


def jwt_claims(token: str) -> dict[str, object]:
    """The payload of a JWT, unverified (the test only reads the session id)."""
    payload = token.split(".")[1]
    claims: dict[str, object] = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


async def test_other_services_get_users_heads_and_client_group_members(env: Env) -> None:
    a = (await env.api.post("/api/v1/units", json={"name": "A"}, headers=env.admin)).json()["id"]
    b = (await env.api.post("/api/v1/units", json={"name": "B"}, headers=env.admin)).json()["id"]
    head_a = await env.create_user(login="heada", role="unit_head", unit_ids=[a])
    head_b = await env.create_user(login="headb", role="unit_head", unit_ids=[b])
    member = await env.create_user(
        login="memb", unit_ids=[a], pushbullet="m@pb.example", time_zone="Asia/Tokyo"
    )
    lead = await env.create_user(login="lead", kind="client", role=None)
    group = (
        await env.api.post(
            "/api/v1/client-groups", json={"name": "G", "lead_id": lead["id"]}, headers=env.admin
        )
    ).json()
    client = await env.create_user(login="cli", kind="client", role=None, client_group_id=group["id"])

    notify = env.as_service("notify")
    users = (await notify.GetUsers(pb.GetUsersRequest(ids=[member["id"], head_b["id"], 999]))).users
    assert sorted(u.login for u in users) == ["headb", "memb"]
    got = next(u for u in users if u.login == "memb")
    assert got.pushbullet == "m@pb.example" and got.time_zone == "Asia/Tokyo"
    assert list(got.unit_ids) == [a] and got.role == pb.ROLE_UNIT_MEMBER

    heads = (await notify.ListHeadsOfUser(pb.ListHeadsOfUserRequest(user_id=member["id"]))).users
    assert [u.id for u in heads] == [head_a["id"]]
    members = await notify.ListClientGroupMembers(
        pb.ListClientGroupMembersRequest(client_group_id=group["id"])
    )
    assert sorted(u.id for u in members.users) == sorted([lead["id"], client["id"]])
    keys = (await notify.GetVerificationKeys(pb.GetVerificationKeysRequest())).keys
    assert keys and keys[0].algorithm == "EdDSA"


async def test_check_sessions_answers_which_sessions_still_count(env: Env) -> None:
    await env.create_user(login="sess", password="sess-password")
    first = (await env.login("sess", "sess-password")).json()
    second = (await env.login("sess", "sess-password")).json()
    sids = [str(jwt_claims(t["access_token"])["sid"]) for t in (first, second)]
    await env.api.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first['access_token']}"})
    resp = await env.as_service("realtime").CheckSessions(
        pb.CheckSessionsRequest(session_ids=[*sids, "not-a-uuid"])
    )
    assert list(resp.active_session_ids) == [sids[1]]
    assert list(resp.passports) == [sids[1]]
