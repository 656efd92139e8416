"""The directory modes against ZENLIX's contract: users by public hash, units, subjects,
positions, the search, a unit's staff — with the REST API's rules on who reads what."""

from __future__ import annotations

import uuid

from .conftest import Desk

INFO_KEYS = [
    "fio", "user_login", "status", "priv", "unit", "is_client", "email", "lang", "last_time", "usr_img",
    "posada", "tel", "skype", "unit_desc", "adr", "def_unit_id", "def_user_id",
]  # fmt: skip


async def test_get_user_info_describes_a_user_in_zenlix_fields(desk: Desk) -> None:
    unit = await desk.unit()
    position = (
        await desk.api.post(
            "/api/v1/positions", json={"name": f"Engineer {uuid.uuid4().hex[:6]}"}, headers=desk.admin
        )
    ).json()
    head = await desk.user(
        "Hnatiuk Roman Petrovych",
        role="unit_head",
        unit_ids=[unit],
        email=f"{uuid.uuid4().hex[:6]}@example.com",
        phone="+380 44 000 0000",
        position_id=position["id"],
        language="ru",
    )
    member = await desk.user(unit_ids=[unit])
    [answer] = await desk.zenlix(mode="get_user_info", uniq_id=member.key, user_hash=head.public_hash)
    assert answer["status"] == "ok"
    [info] = answer["info"]
    assert list(info) == INFO_KEYS
    assert (info["fio"], info["user_login"], info["status"], info["priv"]) == (
        head.full_name,
        head.login,
        "1",
        "0",
    )
    assert (info["unit"], info["is_client"], info["lang"], info["posada"]) == (
        str(unit),
        "0",
        "ru",
        position["name"],
    )
    assert (info["tel"], info["usr_img"], info["def_unit_id"], info["def_user_id"]) == (
        "+380 44 000 0000",
        "img/avatar5.png",
        0,
        0,
    )


async def test_get_user_info_of_an_unknown_hash_is_all_nulls(desk: Desk) -> None:
    member = await desk.user()
    [answer] = await desk.zenlix(mode="get_user_info", uniq_id=member.key, user_hash="f" * 32)
    [info] = answer["info"]
    assert answer["status"] == "ok" and info["fio"] is None and info["user_login"] is None


async def test_units_subjects_and_positions_are_listed_with_string_ids(desk: Desk) -> None:
    name = f"Network {uuid.uuid4().hex[:6]}"
    unit = await desk.unit(name)
    subject = (
        await desk.api.post("/api/v1/subjects", json={"name": f"Mail {unit}"}, headers=desk.admin)
    ).json()
    position = (
        await desk.api.post("/api/v1/positions", json={"name": f"Boss {unit}"}, headers=desk.admin)
    ).json()
    client = await desk.user(kind="client")
    [units] = await desk.zenlix(mode="get_unit_list", uniq_id=client.key)
    [subjects] = await desk.zenlix(mode="get_subj_list", uniq_id=client.key)
    [positions] = await desk.zenlix(mode="get_posada_list", uniq_id=client.key)
    assert list(units) == ["list", "status", "error_description"]
    assert {"id": str(unit), "name": name} in units["list"]
    assert {"id": str(subject["id"]), "name": subject["name"]} in subjects["list"]
    assert {"id": str(position["id"]), "name": position["name"]} in positions["list"]
    [info] = await desk.zenlix(mode="get_unit_info", uniq_id=client.key, unit_code=str(unit))
    assert info["info"] == [{"id": str(unit), "name": name}]
    [missing] = await desk.zenlix(mode="get_unit_info", uniq_id=client.key, unit_code="999999")
    assert missing["info"] == [{"id": None, "name": None}]


async def test_get_users_list_finds_up_to_ten_for_staff(desk: Desk) -> None:
    unit = await desk.unit()
    tag = uuid.uuid4().hex[:8]
    found = [
        await desk.user(f"Lysenko{tag} Mykola Vitaliiovych", unit_ids=[unit], key=False) for _ in range(11)
    ]
    staff = await desk.user(unit_ids=[unit])
    [answer] = await desk.zenlix(mode="get_users_list", uniq_id=staff.key, find_param=f"lysenko{tag}")
    assert answer["status"] == "ok" and len(answer["users"]) == 10
    first = answer["users"][0]
    assert list(first) == ["uniq_id", "fio", "status_user", "priv", "unit", "is_client", "email"]
    assert first["uniq_id"] in {u.public_hash for u in found}
    assert (first["status_user"], first["priv"], first["unit"], first["is_client"]) == (
        "1",
        "1",
        str(unit),
        "0",
    )


async def test_get_user_by_dep_lists_a_units_staff(desk: Desk) -> None:
    unit = await desk.unit()
    anna = await desk.user("Savchenko Anna Ivanivna", unit_ids=[unit])
    [answer] = await desk.zenlix(mode="get_user_by_dep", uniq_id=anna.key, dep_code=str(unit))
    assert answer["status"] == "ok"
    assert answer["users"] == [
        {
            "uniq_id": anna.public_hash,
            "fio": anna.full_name,
            "status": "1",
            "priv": "1",
            "unit": str(unit),
            "is_client": "0",
            "email": "",
        }
    ]
