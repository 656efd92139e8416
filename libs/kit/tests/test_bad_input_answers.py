"""Bad input and failures answered as what they are: field errors that quote any text,
NUL refused at the door, a service named (never its address) when it fails, and a bug
answered as a bare 500 with a trace id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
import structlog
from grpc_health.v1 import health_pb2

from helpdesk_devstack.servers import free_port
from helpdesk_kit.errors import FieldError, InvalidInput, Unavailable
from helpdesk_kit.http import create_app
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.trust import Mesh, Rule, passport_verifier

METHOD = "/test.Echo/Check"
RULES = {METHOD: Rule(users_via=frozenset(), services=frozenset({"tester"}))}


async def _no_keys() -> dict[str, bytes]:
    return {}


async def _serve(behaviour: Any, mesh: Callable[[str], Mesh]) -> GrpcServer:
    handler = grpc.method_handlers_generic_handler(
        "test.Echo",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                behaviour,
                request_deserializer=health_pb2.HealthCheckRequest.FromString,
                response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
            )
        },
    )
    server = GrpcServer(
        port=0, service_names=[], mesh=mesh("echo"), passports=passport_verifier(_no_keys), rules=RULES
    )
    server.server.add_generic_rpc_handlers([handler])
    await server.start()
    return server


async def _call(target: str, mesh: Callable[[str], Mesh], text: str = "x") -> Any:
    ch = channel(target, service="echo", mesh=mesh("tester"), deadline=2.0)
    try:
        call = ch.unary_unary(
            METHOD,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        return await call(health_pb2.HealthCheckRequest(service=text))
    finally:
        await ch.close()


async def test_field_errors_quoting_any_text_cross_grpc_intact(mesh: Callable[[str], Mesh]) -> None:
    async def fails(request: Any, context: Any) -> Any:
        quoted = "«Zeitzone» \x7f\ud800 ✓"
        raise InvalidInput(f"bad {quoted}", errors=[FieldError("time_zone", f"unknown: {quoted}")])

    server = await _serve(fails, mesh)
    try:
        with pytest.raises(InvalidInput) as err:
            await _call(f"127.0.0.1:{server.port}", mesh)
    finally:
        await server.stop(0)
    assert err.value.errors == [FieldError("time_zone", "unknown: «Zeitzone» \x7f\ufffd ✓")]
    assert err.value.detail == "bad «Zeitzone» \x7f\ufffd ✓"


async def test_a_nul_in_a_request_string_is_invalid_input_before_the_handler_runs(
    mesh: Callable[[str], Mesh],
) -> None:
    ran: list[str] = []

    async def handler(request: Any, context: Any) -> Any:
        ran.append(request.service)
        return health_pb2.HealthCheckResponse()

    server = await _serve(handler, mesh)
    try:
        with pytest.raises(InvalidInput) as err:
            await _call(f"127.0.0.1:{server.port}", mesh, text="a\x00b")
        await _call(f"127.0.0.1:{server.port}", mesh, text="a\tb")
    finally:
        await server.stop(0)
    assert [e.field for e in err.value.errors] == ["service"]
    assert ran == ["a\tb"]


async def test_a_service_that_is_down_or_failing_is_named_and_its_address_never_shown(
    mesh: Callable[[str], Mesh],
) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    with pytest.raises(Unavailable) as down:
        await _call(nobody, mesh)

    async def bug(request: Any, context: Any) -> Any:
        raise RuntimeError("secret internals at 10.1.2.3")

    server = await _serve(bug, mesh)
    try:
        with pytest.raises(Unavailable) as failed:
            await _call(f"127.0.0.1:{server.port}", mesh)
    finally:
        await server.stop(0)
    assert down.value.detail == "The echo service is unavailable."
    assert failed.value.detail == "The echo service failed (UNKNOWN)."


async def test_a_bug_is_a_bare_500_problem_with_a_trace_id_that_the_log_carries() -> None:
    app = create_app(service="bad-input")

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("password=hunter2 at 10.1.2.3:5432")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            resp = await client.get("/boom")
    assert resp.status_code == 500
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert len(body["trace_id"]) == 32
    assert "hunter2" not in resp.text and "10.1.2.3" not in resp.text and "RuntimeError" not in resp.text
    [logged] = [e for e in logs if e["event"] == "http.internal_error"]
    assert logged["trace_id"] == body["trace_id"] and isinstance(logged["exc_info"], RuntimeError)


async def test_a_body_with_odd_keys_and_control_characters_is_a_422_that_encodes() -> None:
    app = create_app(service="bad-input")

    @app.post("/things")
    async def things(body: dict[str, int]) -> dict[str, str]:
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        resp = await client.post(
            "/things",
            content=b'{"\\ud800\\u0000key": "not a number"}',
            headers={"content-type": "application/json"},
        )
    assert resp.status_code == 422, resp.text
    field = resp.json()["errors"][0]["field"]
    assert field.startswith("\ufffd") and field.endswith("\\x00key")
