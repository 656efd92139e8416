"""None of ZENLIX's holes: every object-level check of the REST API applies to every mode.
A client's key sees only his own tickets, a member acts only in his units, a disabled
user's key and a revoked key stop working, clients cannot list the directory."""

from __future__ import annotations

import asyncio

from .conftest import REVALIDATE, Desk, User


async def _two_clients_and_a_ticket(desk: Desk) -> tuple[int, User, User, dict[str, object]]:
    unit = await desk.unit()
    owner = await desk.user("Marchenko Iryna Pavlivna", kind="client")
    stranger = await desk.user("Rudenko Vasyl Olehovych", kind="client")
    return unit, owner, stranger, await desk.ticket(owner, unit)


async def test_a_clients_key_cannot_read_another_clients_ticket(desk: Desk) -> None:
    _, _, stranger, ticket = await _two_clients_and_a_ticket(desk)
    h = ticket["ticket_hash"]
    assert await desk.zenlix(mode="ticket_view", uniq_id=stranger.key, ticket_hash=h) == [
        {"status": None, "error_description": None}  # exactly as an unknown hash: nothing to probe
    ]
    [comments] = await desk.zenlix(mode="get_ticket_comments", uniq_id=stranger.key, ticket_hash=h)
    assert (comments["comments"], comments["ticket_code"]) == ([], None)
    for kind in ("in", "out", "arch", "client"):
        [listed] = await desk.zenlix(mode="ticket_list", uniq_id=stranger.key, type=kind)
        assert h not in [t["ticket_hash"] for t in listed["tickets"]]


async def test_a_clients_key_cannot_lock_comment_or_forward_another_clients_ticket(desk: Desk) -> None:
    unit, owner, stranger, ticket = await _two_clients_and_a_ticket(desk)
    h = ticket["ticket_hash"]
    for mode in ("ticket_lock", "ticket_unlock", "ticket_ok", "ticket_no_ok"):
        [answer] = await desk.zenlix(mode=mode, uniq_id=stranger.key, ticket_hash=h)
        assert (answer["status"], answer["error_description"], answer["status_ticket"]) == (
            "error",
            "you have no priviliges",
            None,
        )
    [comment] = await desk.zenlix(
        mode="add_ticket_comment", uniq_id=stranger.key, ticket_hash=h, msg="<script>"
    )
    assert comment["error_description"] == "error data in fields"
    [refer] = await desk.zenlix(
        mode="refer_ticket", uniq_id=stranger.key, ticket_hash=h, user_to_id="0", unit_id=unit, msg=""
    )
    assert refer["error_description"] == "you have no priviliges"
    [comments] = await desk.zenlix(mode="get_ticket_comments", uniq_id=owner.key, ticket_hash=h)
    assert comments["comments"] == []  # nothing was stored


async def test_a_client_cannot_lock_even_his_own_ticket(desk: Desk) -> None:
    _, owner, _, ticket = await _two_clients_and_a_ticket(desk)
    [answer] = await desk.zenlix(mode="ticket_lock", uniq_id=owner.key, ticket_hash=ticket["ticket_hash"])
    assert (answer["error_description"], answer["status_ticket"], answer["access_priv"]) == (
        "you have no priviliges",
        "free",
        "",
    )


async def test_a_member_cannot_see_or_act_outside_his_units(desk: Desk) -> None:
    ours, theirs = await desk.unit(), await desk.unit()
    member = await desk.user(unit_ids=[ours])
    client = await desk.user(kind="client")
    h = (await desk.ticket(client, theirs))["ticket_hash"]
    assert (await desk.zenlix(mode="ticket_view", uniq_id=member.key, ticket_hash=h))[0]["status"] is None
    [lock] = await desk.zenlix(mode="ticket_lock", uniq_id=member.key, ticket_hash=h)
    assert lock["error_description"] == "you have no priviliges"
    [refer] = await desk.zenlix(
        mode="refer_ticket", uniq_id=member.key, ticket_hash=h, user_to_id="0", unit_id=ours, msg="mine now"
    )
    assert refer["error_description"] == "you have no priviliges"
    [comment] = await desk.zenlix(mode="add_ticket_comment", uniq_id=member.key, ticket_hash=h, msg="hi")
    assert comment["error_description"] == "error data in fields"
    [inbox] = await desk.zenlix(mode="ticket_list", uniq_id=member.key, type="in")
    assert h not in [t["ticket_hash"] for t in inbox["tickets"]]


async def test_a_member_cannot_take_a_ticket_assigned_to_someone_else(desk: Desk) -> None:
    unit = await desk.unit()
    anna, boris = await desk.user(unit_ids=[unit]), await desk.user(unit_ids=[unit])
    h = (await desk.ticket(anna, unit, user_to_id=anna.public_hash))["ticket_hash"]
    assert (await desk.zenlix(mode="ticket_view", uniq_id=boris.key, ticket_hash=h))[0]["status"] is None
    [lock] = await desk.zenlix(mode="ticket_lock", uniq_id=boris.key, ticket_hash=h)
    assert lock["error_description"] == "you have no priviliges"


async def test_a_disabled_users_key_stops_working(desk: Desk) -> None:
    user = await desk.user()
    [before] = await desk.zenlix(mode="get_unit_list", uniq_id=user.key)
    assert before["status"] == "ok"
    resp = await desk.api.delete(f"/api/v1/users/{user.id}", headers=desk.admin)
    assert resp.status_code == 200, resp.text
    await asyncio.sleep(REVALIDATE + 0.2)  # the gateway re-asks identity about a key this often
    [after] = await desk.zenlix(mode="get_unit_list", uniq_id=user.key)
    assert (after["status"], after["error_description"]) == ("error", "system auth error")
    again = await desk.zenlix(mode="auth", login=user.login, **{"pass": user.password})
    assert again["error_description"] == "system auth error"


async def test_a_key_revoked_in_the_profile_stops_working(desk: Desk) -> None:
    user = await desk.user(key=False)
    me = await desk.sign_in(user)
    made = await desk.api.post("/api/v1/me/zenlix-keys", json={"name": "Monitoring"}, headers=me)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    listed = (await desk.api.get("/api/v1/me/zenlix-keys", headers=me)).json()["items"]
    assert [k["name"] for k in listed] == ["Monitoring"] and "key" not in listed[0]  # shown once
    [before] = await desk.zenlix(mode="get_unit_list", uniq_id=key)
    assert before["status"] == "ok"
    assert (
        await desk.api.delete(f"/api/v1/me/zenlix-keys/{made.json()['id']}", headers=me)
    ).status_code == 204
    await asyncio.sleep(REVALIDATE + 0.2)
    [after] = await desk.zenlix(mode="get_unit_list", uniq_id=key)
    assert after["error_description"] == "system auth error"


async def test_a_zenlix_key_does_not_open_the_rest_api(desk: Desk) -> None:
    user = await desk.user()
    resp = await desk.api.get("/api/v1/me", headers={"Authorization": f"Bearer {user.key}"})
    assert resp.status_code == 401


async def test_a_personal_api_token_works_as_a_zenlix_key(desk: Desk) -> None:
    user = await desk.user(key=False)
    me = await desk.sign_in(user)
    token = (await desk.api.post("/api/v1/me/tokens", json={"name": "script"}, headers=me)).json()["token"]
    [answer] = await desk.zenlix(mode="get_unit_list", uniq_id=token)
    assert answer["status"] == "ok"


async def test_clients_cannot_list_the_directory_or_read_other_users(desk: Desk) -> None:
    unit = await desk.unit()
    staff = await desk.user("Zinchenko Oleh Ihorovych", unit_ids=[unit])
    client = await desk.user(kind="client")
    [search] = await desk.zenlix(mode="get_users_list", uniq_id=client.key, find_param="Zinchenko")
    assert (search["status"], search["users"]) == ("ok", [])
    [members] = await desk.zenlix(mode="get_user_by_dep", uniq_id=client.key, dep_code=str(unit))
    assert members["users"] == []
    [other] = await desk.zenlix(mode="get_user_info", uniq_id=client.key, user_hash=staff.public_hash)
    assert other["info"][0]["fio"] is None  # as an unknown user
    [himself] = await desk.zenlix(mode="get_user_info", uniq_id=client.key, user_hash=client.public_hash)
    assert (himself["info"][0]["fio"], himself["info"][0]["is_client"]) == (client.full_name, "1")
    ticket = await desk.ticket(client, unit)
    # Nor can a client file in someone else's name.
    [answer] = await desk.zenlix(
        mode="create_ticket",
        uniq_id=client.key,
        user_to_id="0",
        subj="x",
        msg="y",
        client_id=staff.public_hash,
        unit_id=unit,
        prio=1,
    )
    assert answer["error_description"] == "error data in fields" and ticket["status"] == "ok"
