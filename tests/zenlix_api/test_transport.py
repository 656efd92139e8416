"""How ZENLIX's clients reach the API: /api and /api.php, JSON whatever the Content-Type
says, forms, missing or unknown modes, oversized bodies, the switch, the OpenAPI document."""

from __future__ import annotations

import json

import httpx
import pytest

from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients

from .conftest import Desk


async def test_api_php_answers_like_api(desk: Desk) -> None:
    user = await desk.user()
    [via_php] = await desk.zenlix("/api.php", mode="get_unit_list", uniq_id=user.key)
    [via_api] = await desk.zenlix(mode="get_unit_list", uniq_id=user.key)
    assert via_php == via_api and via_php["status"] == "ok"


async def test_json_labelled_as_a_form_is_read_as_json_like_zenlix_did(desk: Desk) -> None:
    user = await desk.user()
    body = json.dumps({"mode": "get_unit_list", "uniq_id": user.key})  # what `curl -d '{...}'` sends
    resp = await desk.api.post(
        "/api", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert resp.status_code == 200 and resp.json()[0]["status"] == "ok"
    assert resp.headers["content-type"] == "application/json"


async def test_a_form_body_is_read_too(desk: Desk) -> None:
    user = await desk.user()
    resp = await desk.api.post("/api", data={"mode": "get_unit_list", "uniq_id": user.key})
    assert resp.status_code == 200 and resp.json()[0]["status"] == "ok"


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"auth"', b'{"uniq_id": "x"}', b'{"mode": "nope"}', b'{"mode": 7}'],
)
async def test_no_mode_or_an_unknown_one_is_mode_param_is_not_valid(desk: Desk, body: bytes) -> None:
    resp = await desk.api.post("/api", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 200
    assert resp.json() == [{"status": "error", "error_description": "mode-param is not valid"}]


async def test_a_missing_field_is_not_all_params_even_with_a_bad_key(desk: Desk) -> None:
    assert await desk.zenlix(mode="ticket_view", uniq_id="nonsense") == [
        {"status": "error", "error_description": "not all params"}
    ]
    assert await desk.zenlix(mode="ticket_view", uniq_id="nonsense", ticket_hash=None) == [
        {"status": "error", "error_description": "not all params"}  # null counts as missing (isset)
    ]


async def test_an_unknown_key_is_system_auth_error(desk: Desk) -> None:
    for key in ("", "0" * 32, "hd_nonsense", "a" * 5000):
        [answer] = await desk.zenlix(mode="get_unit_list", uniq_id=key)
        assert (answer["status"], answer["error_description"]) == ("error", "system auth error")


async def test_fields_of_the_wrong_type_are_error_data_in_fields_never_a_server_error(desk: Desk) -> None:
    user = await desk.user()
    unit = await desk.unit()
    for bad in ({"unit_id": {"a": 1}}, {"unit_id": "99999999999999999999999"}, {"unit_id": -1}, {"msg": [1]}):
        body = {
            "uniq_id": user.key,
            "user_to_id": "0",
            "subj": "x",
            "msg": "y",
            "client_id": user.public_hash,
            "unit_id": unit,
            "prio": 1,
        }
        [answer] = await desk.zenlix(mode="create_ticket", **{**body, **bad})
        assert answer["error_description"] == "error data in fields", bad


async def test_a_body_over_one_mebibyte_is_refused_with_413(desk: Desk) -> None:
    resp = await desk.api.post("/api", content=b"{" + b" " * (1024 * 1024) + b"}")
    assert resp.status_code == 413


async def test_switched_off_the_paths_answer_404(desk: Desk) -> None:
    off = desk.settings.model_copy(update={"zenlix_api": False})
    clients = Clients.connect(off)
    try:
        transport = httpx.ASGITransport(app=build_app(clients))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            resp = await http.post("/api", json={"mode": "get_unit_list", "uniq_id": "x"})
    finally:
        await clients.close()
    assert resp.status_code == 404


async def test_the_openapi_document_describes_both_paths_with_every_mode(desk: Desk) -> None:
    spec = (await desk.api.get("/api/v1/openapi.json")).json()
    for path in ("/api", "/api.php"):
        [verb] = spec["paths"][path]
        op = spec["paths"][path][verb]
        modes = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        assert verb == "post" and op["description"]
        assert len(modes) == 19
        lock = next(m for m in modes if m["title"] == "ticket_lock")
        assert lock["required"] == ["mode", "uniq_id", "ticket_hash"]


async def test_creates_and_comments_spend_the_rest_apis_per_user_budget(desk: Desk) -> None:
    strict = desk.settings.model_copy(update={"rate_tickets": "2/minute", "rate_comments": "1/minute"})
    clients = Clients.connect(strict)
    user = await desk.user(kind="client")
    unit = await desk.unit()
    body = {
        "mode": "create_ticket",
        "uniq_id": user.key,
        "user_to_id": "0",
        "subj": "x",
        "msg": "y",
        "client_id": user.public_hash,
        "unit_id": unit,
        "prio": 1,
    }
    try:
        transport = httpx.ASGITransport(app=build_app(clients))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            rest = await http.post(
                "/api/v1/tickets",
                json={"subject": "by REST", "unit_id": unit},
                headers=await desk.sign_in(user),
            )
            assert rest.status_code == 201, rest.text
            first = await http.post("/api", json=body)
            over = await http.post("/api", json=body)
            comment = {"mode": "add_ticket_comment", "uniq_id": user.key, "msg": "hi"}
            comment["ticket_hash"] = first.json()[0]["ticket_hash"]
            said = await http.post("/api", json=comment)
            again = await http.post("/api", json=comment)
    finally:
        await clients.close()
    assert first.json()[0]["status"] == "ok"  # the REST ticket and this one: two of two
    assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
    assert over.json() == [{"status": "error", "error_description": "too many requests, try again later"}]
    assert said.json()[0]["status"] == "ok" and again.status_code == 429
