"""The ticket modes against ZENLIX's contract (docs/zenlix-api.md): request fields → the
envelope, field names, state strings, access_priv lists, date format — with our rules."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .conftest import TIME_ZONE, Desk, User

DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

VIEW_KEYS = [
    "id_ticket", "ticket_hash", "subj", "text", "date_created", "user_init_id", "client_id",
    "user_init_fio", "client_fio", "unit_id", "user_to_id", "user_to_fio", "status", "lock_by",
    "ok_by", "can_refer", "lock_by_fio", "ok_by_fio", "access_priv", "prio", "ok_date", "deadline_time",
]  # fmt: skip
LIST_KEYS = [
    "id_ticket", "ticket_hash", "subj", "text", "date_created", "status", "prio", "lock_by_other_fio",
    "ok_by_fio", "user_init_hash", "client_hash", "to_user_hash", "user_init_fio", "client_fio",
    "to_user_fio", "to_unit_id", "access_priv",
]  # fmt: skip


async def _team(desk: Desk) -> tuple[int, str, User, User, User]:
    """A unit with two members and a client who files to it."""
    name = f"Support {uuid.uuid4().hex[:8]}"
    unit = await desk.unit(name)
    anna = await desk.user("Kovalenko Anna Petrivna", unit_ids=[unit])
    boris = await desk.user("Bondarenko Borys Ivanovych", unit_ids=[unit])
    client = await desk.user("Melnyk Olha Serhiivna", kind="client")
    return unit, name, anna, boris, client


async def _view(desk: Desk, user: User, ticket_hash: str) -> dict[str, Any]:
    [answer] = await desk.zenlix(mode="ticket_view", uniq_id=user.key, ticket_hash=ticket_hash)
    assert answer["status"] == "ok", answer
    [ticket] = answer["ticket"]
    result: dict[str, Any] = ticket
    return result


async def _act(desk: Desk, mode: str, user: User, ticket_hash: str) -> dict[str, Any]:
    [answer] = await desk.zenlix(mode=mode, uniq_id=user.key, ticket_hash=ticket_hash)
    result: dict[str, Any] = answer
    return result


async def test_create_ticket_answers_its_hash_and_number_from_the_sequence(desk: Desk) -> None:
    unit, _, _, _, client = await _team(desk)
    first = await desk.ticket(client, unit)
    second = await desk.ticket(client, unit)
    assert list(first) == ["ticket_hash", "ticket_id", "status", "error_description"]
    assert isinstance(first["ticket_id"], int) and second["ticket_id"] > first["ticket_id"]
    assert first["ticket_hash"] != second["ticket_hash"] and len(first["ticket_hash"]) >= 20


async def test_ticket_view_has_every_field_of_zenlix_in_its_words(desk: Desk) -> None:
    unit, unit_name, anna, _, client = await _team(desk)
    created = await desk.ticket(client, unit, subj="VPN down", msg="Since morning.\nHelp!", prio="2")
    before = datetime.now(ZoneInfo(TIME_ZONE)).replace(microsecond=0, tzinfo=None)
    t = await _view(desk, anna, created["ticket_hash"])
    assert list(t) == VIEW_KEYS
    assert t["id_ticket"] == str(created["ticket_id"])
    assert t["ticket_hash"] == created["ticket_hash"]
    assert (t["subj"], t["text"], t["prio"]) == ("VPN down", "Since morning.\nHelp!", "2")
    assert DATE.match(t["date_created"])
    # In the installation's zone (the user chose none), as ZENLIX wrote local times.
    assert abs((datetime.fromisoformat(t["date_created"]) - before).total_seconds()) < 60
    assert (t["user_init_id"], t["client_id"]) == (client.public_hash, client.public_hash)
    assert (t["user_init_fio"], t["client_fio"]) == ("Melnyk O.S.", "Melnyk O.S.")
    assert (t["unit_id"], t["user_to_id"], t["user_to_fio"]) == (str(unit), None, unit_name)
    assert (t["status"], t["lock_by"], t["ok_by"], t["lock_by_fio"], t["ok_by_fio"]) == (
        "free",
        None,
        None,
        "",
        "",
    )
    assert (t["can_refer"], t["access_priv"]) == ("true", "lock")
    assert (t["ok_date"], t["deadline_time"]) == (None, None)
    mine = await _view(desk, client, created["ticket_hash"])
    assert (mine["can_refer"], mine["access_priv"]) == ("false", "")  # clients take no part in the work


async def test_ticket_view_of_an_unknown_hash_has_no_ticket_and_a_null_status(desk: Desk) -> None:
    _, _, anna, _, _ = await _team(desk)
    answer = await desk.zenlix(mode="ticket_view", uniq_id=anna.key, ticket_hash="no-such-hash")
    assert answer == [{"status": None, "error_description": None}]


async def test_the_four_transitions_answer_the_state_before_and_the_actions_after(desk: Desk) -> None:
    unit, _, anna, boris, client = await _team(desk)
    h = (await desk.ticket(client, unit))["ticket_hash"]
    lock = await _act(desk, "ticket_lock", anna, h)
    assert list(lock) == [
        "status",
        "error_description",
        "status_ticket",
        "lock_by_fio",
        "ok_by_fio",
        "access_priv",
    ]
    assert lock == {
        "status": "ok",
        "error_description": None,
        "status_ticket": "free",
        "lock_by_fio": None,
        "ok_by_fio": None,
        "access_priv": "unlock,ok",
    }
    assert (await _view(desk, boris, h))["status"] == "lock_by_other"
    taken = await _act(desk, "ticket_lock", boris, h)  # not his to take now: ZENLIX's words
    assert (taken["status"], taken["error_description"]) == ("error", "you have no priviliges")
    assert (taken["status_ticket"], taken["lock_by_fio"], taken["access_priv"]) == (
        "lock_by_other",
        "Kovalenko A.P.",
        "no_priv",
    )
    ok = await _act(desk, "ticket_ok", anna, h)
    assert (ok["status"], ok["status_ticket"], ok["lock_by_fio"], ok["access_priv"]) == (
        "ok",
        "lock_by_me",
        "Kovalenko A.P.",
        "un_ok",
    )
    done = await _view(desk, anna, h)
    assert (done["status"], done["ok_by"], done["ok_by_fio"]) == (
        "ok_by_me",
        anna.public_hash,
        "Kovalenko A.P.",
    )
    assert DATE.match(done["ok_date"])
    assert (await _view(desk, boris, h))["status"] == "ok_by_other"
    no_ok = await _act(desk, "ticket_no_ok", anna, h)
    assert (no_ok["status"], no_ok["status_ticket"], no_ok["ok_by_fio"], no_ok["access_priv"]) == (
        "ok",
        "ok_by_me",
        "Kovalenko A.P.",
        "unlock,ok",
    )
    back = await _view(desk, anna, h)
    # ZENLIX's API left ok_by set (and its archiver then archived an open ticket); ours clears it.
    assert (back["status"], back["ok_by"], back["ok_date"]) == ("lock_by_me", None, None)
    unlock = await _act(desk, "ticket_unlock", anna, h)
    assert (unlock["status"], unlock["status_ticket"], unlock["access_priv"]) == ("ok", "lock_by_me", "lock")


async def test_ticket_list_gives_zenlix_fields_for_each_box(desk: Desk) -> None:
    unit, _, anna, boris, client = await _team(desk)
    long_subject = " ".join(["word"] * 40)  # 199 characters
    h = (await desk.ticket(client, unit, subj=long_subject, prio="0"))["ticket_hash"]
    await _act(desk, "ticket_lock", boris, h)
    [inbox] = await desk.zenlix(mode="ticket_list", uniq_id=anna.key, type="in")
    assert inbox["status"] == "ok" and list(inbox) == ["tickets", "status", "error_description"]
    [t] = [t for t in inbox["tickets"] if t["ticket_hash"] == h]
    assert list(t) == LIST_KEYS
    assert len(t["subj"]) <= 150 and t["subj"].endswith("word") and long_subject.startswith(t["subj"])
    assert (t["status"], t["prio"], t["lock_by_other_fio"], t["ok_by_fio"]) == (
        "lock_by_other",
        "0",
        "Bondarenko B.I.",
        "0",
    )
    assert (t["user_init_hash"], t["client_hash"], t["to_user_hash"]) == (
        client.public_hash,
        client.public_hash,
        None,
    )
    assert (t["user_init_fio"], t["to_user_fio"], t["to_unit_id"]) == ("Melnyk O.S.", "", str(unit))
    assert t["access_priv"] == "no_priv"
    [mine] = await desk.zenlix(mode="ticket_list", uniq_id=client.key, type="arch")  # clients: their own
    assert [x["ticket_hash"] for x in mine["tickets"]] == [h]
    [out] = await desk.zenlix(mode="ticket_list", uniq_id=anna.key, type="out")
    assert out["tickets"] == []
    [arch] = await desk.zenlix(mode="ticket_list", uniq_id=anna.key, type="arch")
    assert arch["status"] == "ok" and arch["tickets"] == []


async def test_ticket_list_of_an_unknown_type_says_input_values_not_alls(desk: Desk) -> None:
    _, _, anna, _, _ = await _team(desk)
    answer = await desk.zenlix(mode="ticket_list", uniq_id=anna.key, type="everything")
    assert answer == [{"status": "error", "error_description": "input values not alls"}]


async def test_comments_are_added_and_listed_oldest_first(desk: Desk) -> None:
    unit, _, anna, _, client = await _team(desk)
    created = await desk.ticket(client, unit)
    h = created["ticket_hash"]
    for who, text in ((client, "It smokes."), (anna, "On my way **now**.")):
        added = await desk.zenlix(mode="add_ticket_comment", uniq_id=who.key, ticket_hash=h, msg=text)
        assert added == [{"status": "ok", "error_description": None}]
    [answer] = await desk.zenlix(mode="get_ticket_comments", uniq_id=client.key, ticket_hash=h)
    assert list(answer) == ["comments", "ticket_code", "status", "error_description"]
    assert answer["ticket_code"] == str(created["ticket_id"])
    first, second = answer["comments"]
    assert list(first) == ["author", "text", "dt", "usr_img", "usr_fio"]
    assert (first["author"], first["text"], first["usr_fio"]) == (
        client.public_hash,
        "It smokes.",
        client.full_name,
    )
    assert (second["author"], second["text"]) == (anna.public_hash, "On my way **now**.")
    assert DATE.match(second["dt"]) and second["usr_img"] == "img/avatar5.png"


async def test_comments_of_an_unknown_hash_are_an_empty_list(desk: Desk) -> None:
    _, _, anna, _, _ = await _team(desk)
    answer = await desk.zenlix(mode="get_ticket_comments", uniq_id=anna.key, ticket_hash="nope")
    assert answer == [{"comments": [], "ticket_code": None, "status": "ok", "error_description": None}]
    [added] = await desk.zenlix(mode="add_ticket_comment", uniq_id=anna.key, ticket_hash="nope", msg="hi")
    assert added["error_description"] == "error data in fields"  # ZENLIX stored an orphan comment


async def test_refer_to_user_zero_sends_the_ticket_to_the_whole_unit(desk: Desk) -> None:
    unit, _, anna, _, client = await _team(desk)
    other = await desk.unit()
    carol = await desk.user("Tkachenko Kateryna Olehivna", unit_ids=[other])
    created = await desk.ticket(client, unit)
    h = created["ticket_hash"]
    answer = await desk.zenlix(
        mode="refer_ticket", uniq_id=anna.key, ticket_hash=h, user_to_id="0", unit_id=str(other), msg="Yours"
    )
    assert answer == [{"status": "ok", "error_description": None}]
    # ZENLIX stored "0" as NULL and hid the ticket from the unit; ours is the whole unit's.
    [inbox] = await desk.zenlix(mode="ticket_list", uniq_id=carol.key, type="in")
    assert h in [t["ticket_hash"] for t in inbox["tickets"]]
    moved = await _view(desk, carol, h)
    assert (moved["unit_id"], moved["user_to_id"], moved["text"]) == (
        str(other),
        None,
        "Third floor, near the kitchen.",
    )
    history = (
        await desk.api.get(f"/api/v1/tickets/{created['ticket_id']}/history", headers=desk.admin)
    ).json()
    assert any(e["action"] == "forwarded" for e in history["items"])


async def test_refer_to_users_by_hash_assigns_them(desk: Desk) -> None:
    unit, _, anna, boris, client = await _team(desk)
    h = (await desk.ticket(client, unit))["ticket_hash"]
    answer = await desk.zenlix(
        mode="refer_ticket",
        uniq_id=anna.key,
        ticket_hash=h,
        user_to_id=boris.public_hash,
        unit_id=unit,
        msg="",
    )
    assert answer[0]["status"] == "ok"
    t = await _view(desk, boris, h)
    assert (t["user_to_id"], t["user_to_fio"]) == (boris.public_hash, "Bondarenko B.I.")
    [bad] = await desk.zenlix(
        mode="refer_ticket", uniq_id=boris.key, ticket_hash=h, user_to_id="f" * 32, unit_id=unit, msg=""
    )
    assert bad["error_description"] == "error data in fields"


async def test_create_ticket_by_staff_with_assignees_subject_id_and_odd_priority(desk: Desk) -> None:
    unit, _, anna, boris, client = await _team(desk)
    resp = await desk.api.post("/api/v1/subjects", json={"name": f"Hardware {unit}"}, headers=desk.admin)
    subject = resp.json()
    created = await desk.ticket(
        anna,
        unit,
        user_to_id=boris.public_hash,
        subj=str(subject["id"]),
        client_id=client.public_hash,
        prio="7",
    )
    t = await _view(desk, boris, created["ticket_hash"])
    assert (t["subj"], t["prio"], t["user_to_id"]) == (subject["name"], "1", boris.public_hash)
    assert (t["user_init_id"], t["client_id"]) == (anna.public_hash, client.public_hash)
    rest = (await desk.api.get(f"/api/v1/tickets/{created['ticket_id']}", headers=desk.admin)).json()
    assert rest["source"] == "api"


async def test_create_ticket_refuses_what_zenlix_let_through(desk: Desk) -> None:
    unit, _, anna, _, client = await _team(desk)
    for fields in (
        {"client_id": "f" * 32},  # no such user
        {"user_to_id": anna.public_hash},  # clients choose only the unit
        {"unit_id": "999999"},  # no such unit
        {"subj": "424242"},  # no such subject
    ):
        body = {
            "uniq_id": client.key,
            "user_to_id": "0",
            "subj": "x",
            "msg": "y",
            "client_id": client.public_hash,
            "unit_id": str(unit),
            "prio": "1",
        }
        [answer] = await desk.zenlix(mode="create_ticket", **{**body, **fields})
        assert (answer["status"], answer["error_description"]) == ("error", "error data in fields"), fields


async def test_create_ticket_with_the_same_idempotency_key_files_once(desk: Desk) -> None:
    unit, _, _, _, client = await _team(desk)
    body = {
        "mode": "create_ticket",
        "uniq_id": client.key,
        "user_to_id": "0",
        "subj": "x",
        "msg": "y",
        "client_id": client.public_hash,
        "unit_id": unit,
        "prio": 1,
    }
    first = await desk.api.post("/api", json=body, headers={"Idempotency-Key": "mail-1"})
    again = await desk.api.post("/api", json=body, headers={"Idempotency-Key": "mail-1"})
    assert first.json()[0]["ticket_id"] == again.json()[0]["ticket_id"]
