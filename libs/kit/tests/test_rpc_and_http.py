"""gRPC error mapping and deadlines, the HTTP app's problem+json, health and metrics (on the
ops port when there is one), and NATS server lists."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import generate_latest
from pydantic import BaseModel

from helpdesk_devstack.servers import free_port
from helpdesk_kit.errors import FieldError, InvalidInput, NotFound, RateLimited, Unavailable
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.rpc import GrpcServer, channel, check_health
from helpdesk_kit.runtime import Lifecycle
from helpdesk_kit.streams import server_urls
from helpdesk_kit.trust import Mesh, Rule, passport_verifier

# A generic unary method served without generated code: the health service's own types.
METHOD = "/test.Echo/Check"


def _handler(behaviour: Any) -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        "test.Echo",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                behaviour,
                request_deserializer=health_pb2.HealthCheckRequest.FromString,
                response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
            )
        },
    )


# The test service may be called by the service "tester" on its own behalf.
RULES = {METHOD: Rule(users_via=frozenset(), services=frozenset({"tester"}))}


async def _no_keys() -> dict[str, bytes]:
    return {}


@pytest.fixture
def meshes(mesh: Callable[[str], Mesh]) -> tuple[Mesh, Mesh]:
    """(the server's identity, the caller's)."""
    return mesh("echo"), mesh("tester")


async def _serve(behaviour: Any, meshes: tuple[Mesh, Mesh], port: int = 0) -> GrpcServer:
    server = GrpcServer(
        port=port,
        service_names=["test.Echo"],
        mesh=meshes[0],
        passports=passport_verifier(_no_keys),
        rules=RULES,
    )
    server.server.add_generic_rpc_handlers([_handler(behaviour)])
    await server.start()
    return server


async def _call(port: int, meshes: tuple[Mesh, Mesh], deadline: float = 2.0) -> Any:
    ch = channel(f"127.0.0.1:{port}", service="echo", mesh=meshes[1], deadline=deadline)
    try:
        call = ch.unary_unary(
            METHOD,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        return await call(health_pb2.HealthCheckRequest(service="x"))
    finally:
        await ch.close()


async def test_an_app_error_crosses_grpc_as_the_same_error_with_its_fields(meshes: tuple[Mesh, Mesh]) -> None:
    async def fails(request: Any, context: Any) -> Any:
        raise InvalidInput("bad", errors=[FieldError("subject", "must not be empty")])

    server = await _serve(fails, meshes)
    try:
        with pytest.raises(InvalidInput) as err:
            await _call(server.port, meshes)
        assert err.value.detail == "bad"
        assert err.value.errors == [FieldError("subject", "must not be empty")]
        metrics = generate_latest().decode()
        assert 'grpc_code="INVALID_ARGUMENT",grpc_method="Check",grpc_service="test.Echo"' in metrics
    finally:
        await server.stop(0)


async def test_field_errors_in_any_language_cross_grpc_intact(meshes: tuple[Mesh, Mesh]) -> None:
    fields = [FieldError("email", "недопустимый символ 'ä'"), FieldError("full_name", "no line breaks")]

    async def fails(request: Any, context: Any) -> Any:
        raise InvalidInput("Неверно", errors=fields)

    server = await _serve(fails, meshes)
    try:
        with pytest.raises(InvalidInput) as err:
            await _call(server.port, meshes)
        assert err.value.errors == fields
    finally:
        await server.stop(0)


async def test_an_errors_stable_code_and_field_params_cross_grpc(meshes: tuple[Mesh, Mesh]) -> None:
    async def fails(request: Any, context: Any) -> Any:
        raise InvalidInput(
            "refused",
            errors=[FieldError("file", "larger than 1 KB", code="too_large", params={"max_bytes": 1024})],
            key="file.refused",
        )

    server = await _serve(fails, meshes)
    try:
        with pytest.raises(InvalidInput) as err:
            await _call(server.port, meshes)
        assert err.value.problem_code == "file.refused"
        (e,) = err.value.errors
        assert (e.code, e.params) == ("too_large", {"max_bytes": 1024})
    finally:
        await server.stop(0)


async def test_not_found_and_rate_limited_keep_their_meaning(meshes: tuple[Mesh, Mesh]) -> None:
    async def not_found(request: Any, context: Any) -> Any:
        raise NotFound("No such ticket.")

    async def limited(request: Any, context: Any) -> Any:
        raise RateLimited("slow down", retry_after=7)

    for behaviour, kind in ((not_found, NotFound), (limited, RateLimited)):
        server = await _serve(behaviour, meshes)
        try:
            with pytest.raises(kind) as err:
                await _call(server.port, meshes)
            if kind is RateLimited:
                assert err.value.retry_after == 7
        finally:
            await server.stop(0)


async def test_every_call_has_a_deadline_and_a_hung_server_is_unavailable_not_a_hang(
    meshes: tuple[Mesh, Mesh],
) -> None:
    async def hangs(request: Any, context: Any) -> Any:
        await asyncio.sleep(30)

    server = await _serve(hangs, meshes)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(Unavailable):
            await _call(server.port, meshes, deadline=0.3)
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        await server.stop(0)


async def test_health_reports_serving_then_not_serving(meshes: tuple[Mesh, Mesh]) -> None:
    async def ok(request: Any, context: Any) -> Any:
        return health_pb2.HealthCheckResponse()

    server = await _serve(ok, meshes)
    ch = channel(f"127.0.0.1:{server.port}", service="echo", mesh=meshes[1], deadline=2)
    try:
        assert await check_health(ch, "test.Echo")
        assert not await check_health(ch, "unknown.Service")
        stub = health_pb2_grpc.HealthStub(ch)
        await server.stop(0)
        with pytest.raises((grpc.aio.AioRpcError, Unavailable)):
            await stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
    finally:
        await ch.close()


async def test_a_service_back_after_a_long_outage_is_reached_again_within_seconds(
    meshes: tuple[Mesh, Mesh],
) -> None:
    """gRPC waits longer and longer between attempts to reach a server that is away (up to
    two minutes by default): a service down for a while would stay unreachable long after
    it is back. Channels try again at least every 5 s."""

    async def ok(request: Any, context: Any) -> Any:
        return health_pb2.HealthCheckResponse()

    port = free_port()
    ch = channel(f"127.0.0.1:{port}", service="echo", mesh=meshes[1], deadline=1)
    call = ch.unary_unary(
        METHOD,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    loop = asyncio.get_running_loop()
    server = None
    try:
        away_until = loop.time() + 30
        while loop.time() < away_until:  # callers keep calling while it is away
            with contextlib.suppress(grpc.aio.AioRpcError, Unavailable):
                await call(health_pb2.HealthCheckRequest())
            await asyncio.sleep(0.5)
        server = await _serve(ok, meshes, port)
        back = loop.time()
        while True:
            try:
                await call(health_pb2.HealthCheckRequest())
                break
            except (grpc.aio.AioRpcError, Unavailable):
                assert loop.time() - back < 8, "still unreachable 8 s after the server came back"
                await asyncio.sleep(0.2)
    finally:
        await ch.close()
        if server is not None:
            await server.stop(0)


class Body(BaseModel):
    name: str


async def test_http_errors_are_problem_json_and_readiness_reflects_checks() -> None:
    healthy = {"value": True}

    async def dependency() -> bool:
        return healthy["value"]

    app = create_app(service="test", readiness={"dependency": dependency})

    @app.post("/things")
    async def things(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise InvalidInput("The thing is not valid.", errors=[FieldError("name", "already taken")])
        raise Unavailable("down")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post("/things", json={})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        # every problem carries a stable code, and each field error its own (pydantic's type)
        assert r.json()["code"] == "invalid"
        assert r.json()["errors"] == [{"field": "name", "message": "Field required", "code": "missing"}]
        r = await client.post("/things", json={"name": "taken"})
        assert r.status_code == 422 and r.json()["errors"] == [{"field": "name", "message": "already taken"}]
        r = await client.post("/things", json={"name": "x"})
        assert r.status_code == 503 and r.json()["detail"] == "down" and r.json()["code"] == "unavailable"
        r = await client.get("/nowhere")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "not_found"
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        healthy["value"] = False
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"] == {"dependency": False}
        metrics = (await client.get("/metrics")).text
        assert 'http_requests_total{method="POST",route="/things",service="test",status="422"} 2.0' in metrics


async def test_with_an_ops_port_health_and_metrics_leave_the_http_port_for_their_own() -> None:
    app = create_app(service="test", readiness={"dependency": _always_ready})

    @app.get("/api/thing")
    async def thing() -> dict[str, str]:
        return {"thing": "ok"}

    http_port, ops_port = free_port(), free_port()
    life = Lifecycle(ops_port=ops_port)
    life.serve_http(http_server(app, port=http_port))
    running = asyncio.create_task(life.run_until_stopped())
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            api, ops = f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{ops_port}"
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{ops}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            assert (await client.get(f"{api}/api/thing")).status_code == 200
            for path in ("/healthz", "/readyz", "/metrics"):
                assert (await client.get(ops + path)).status_code == 200, path
                public = await client.get(api + path)
                assert public.status_code == 404, path
                assert public.headers["content-type"] == "application/problem+json"
            assert (await client.get(f"{ops}/api/thing")).status_code == 404
            assert "http_requests_total" in (await client.get(f"{ops}/metrics")).text
    finally:
        life.stopping.set()
        await asyncio.wait_for(running, timeout=15)


async def _always_ready() -> bool:
    return True


def test_a_nats_url_may_name_every_server_of_a_cluster() -> None:
    assert server_urls("nats://a:4222") == ["nats://a:4222"]
    assert server_urls("nats://u:p@a:4222, nats://u:p@b:4222,nats://u:p@c:4222") == [
        "nats://u:p@a:4222",
        "nats://u:p@b:4222",
        "nats://u:p@c:4222",
    ]


async def test_an_errors_key_and_its_field_codes_become_the_problems_code_and_params() -> None:
    app = create_app(service="test")

    @app.post("/files")
    async def files() -> dict[str, str]:
        raise InvalidInput(
            "The file is refused.",
            errors=[
                FieldError("file", "larger than 10 MB", code="too_large", params={"max_bytes": 10485760})
            ],
            key="file.refused",
        )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = (await client.post("/files")).json()
    assert body["code"] == "file.refused"
    assert body["errors"] == [
        {
            "field": "file",
            "message": "larger than 10 MB",
            "code": "too_large",
            "params": {"max_bytes": 10485760},
        }
    ]
