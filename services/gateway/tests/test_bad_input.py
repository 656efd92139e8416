"""Bad input is a 4xx problem naming the field, decided at the gateway's edge: ids beyond
the services' 64 bits, control characters, lone surrogates, unknown keys, bodies over
their limit. A service that is down is a 503 naming it, never its address."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

from helpdesk_devstack.servers import free_port
from helpdesk_kit.trust import Mesh

from .test_system import running_gateway, token

ADMIN = {"Authorization": f"Bearer {token(admin=True)}"}


def fields(resp: httpx.Response) -> list[str]:
    assert resp.headers["content-type"] == "application/problem+json", resp.text
    return [e["field"] for e in resp.json().get("errors", [])]


async def test_ids_beyond_64_bits_are_a_422_naming_the_field(mesh: Callable[[str], Mesh]) -> None:
    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        in_path = await gateway.get(f"/api/v1/tickets/{2**63}", headers=ADMIN)
        in_body = await gateway.post(
            "/api/v1/tickets", json={"subject": "x", "unit_id": 2**64}, headers=ADMIN
        )
        in_list = await gateway.post(
            "/api/v1/tickets", json={"subject": "x", "unit_id": 1, "assignee_ids": [0]}, headers=ADMIN
        )
    assert (in_path.status_code, fields(in_path)) == (422, ["ticket_id"])
    assert (in_body.status_code, fields(in_body)) == (422, ["unit_id"])
    assert (in_list.status_code, fields(in_list)) == (422, ["assignee_ids.0"])


async def test_control_characters_surrogates_and_unknown_keys_are_422s_naming_the_field(
    mesh: Callable[[str], Mesh],
) -> None:
    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        nul = await gateway.post("/api/v1/calendars", json={"name": "a\x00b"}, headers=ADMIN)
        newline = await gateway.post("/api/v1/units", json={"name": "two\nlines"}, headers=ADMIN)
        surrogate = await gateway.post(
            "/api/v1/units",
            content=b'{"name": "\\ud800"}',
            headers={**ADMIN, "content-type": "application/json"},
        )
        unknown = await gateway.put("/api/v1/settings/ldap", json={"": {}}, headers=ADMIN)
    assert (nul.status_code, fields(nul)) == (422, ["name"])
    assert (newline.status_code, fields(newline)) == (422, ["name"])
    assert surrogate.status_code == 422, surrogate.text
    assert (unknown.status_code, fields(unknown)) == (422, [""]) or unknown.status_code == 422
    assert "TypeError" not in unknown.text


async def test_a_body_over_the_limit_is_a_413_problem_before_or_while_it_streams(
    mesh: Callable[[str], Mesh],
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"login": "x", "password": "'
        for _ in range(40):
            yield b"y" * 65_536
        yield b'"}'

    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        declared = await gateway.post(
            "/api/v1/auth/login",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": str(600 * 1024 * 1024)},
        )
        streamed = await gateway.post(
            "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
    for resp in (declared, streamed):
        assert resp.status_code == 413, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["status"] == 413


async def test_a_service_that_is_down_is_a_503_naming_it_and_not_its_address(
    mesh: Callable[[str], Mesh],
) -> None:
    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        resp = await gateway.get("/api/v1/calendars", headers=ADMIN)  # sla is not running
    assert resp.status_code == 503
    assert resp.json()["detail"] == "The sla service is unavailable."
    assert "127.0.0.1" not in resp.text
