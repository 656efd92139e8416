"""Input the services' 64-bit fields cannot hold is a 422, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from helpdesk_devstack.servers import free_port
from helpdesk_kit.trust import Mesh

from .test_system import running_gateway, token


async def test_an_id_beyond_64_bits_in_a_path_or_a_body_is_a_422_problem(mesh: Callable[[str], Mesh]) -> None:
    headers = {"Authorization": f"Bearer {token(admin=True)}"}
    async with running_gateway(f"nats://127.0.0.1:{free_port()}", mesh) as gateway:
        in_path = await gateway.get(f"/api/v1/tickets/{2**63}", headers=headers)
        in_body = await gateway.post(
            "/api/v1/tickets", json={"subject": "x", "unit_id": 2**64}, headers=headers
        )
    for resp in (in_path, in_body):
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert "out of range" in resp.json()["detail"]
