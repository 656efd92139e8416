"""The kit's gatekeeping over real mutual TLS: who may call, for whom, and what is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2

from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_kit.errors import Forbidden, Unauthenticated
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.tokens import AUDIENCE, ISSUER
from helpdesk_kit.trust import (
    PASSPORT_AUDIENCE,
    Mesh,
    Rule,
    acting_for,
    current_principal,
    passport_verifier,
)

FOR_USERS = "/test.Echo/ForUsers"
FOR_SERVICES = "/test.Echo/ForServices"
UNSTATED = "/test.Echo/Unstated"
PUBLIC = "/test.Echo/Public"
RULES = {
    FOR_USERS: Rule(users_via=frozenset({"gateway"}), services=frozenset()),
    FOR_SERVICES: Rule(users_via=frozenset(), services=frozenset({"notify"})),
    PUBLIC: Rule(users_via=frozenset({"gateway"}), services=frozenset({"gateway"})),
}

KEY = Ed25519PrivateKey.generate()
KID = "k1"


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def keys() -> dict[str, bytes]:
    return {KID: public_pem(KEY)}


def sign(
    *, key: Ed25519PrivateKey = KEY, audience: str = PASSPORT_AUDIENCE, ttl: int = 15, **claims: Any
) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": audience, "sub": "7", "iat": now, "exp": now + ttl, "kind": "staff"}
    body.update(claims)
    return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": KID})


async def answer(request: Any, context: Any) -> health_pb2.HealthCheckRequest:
    """Echoes who the kit says is calling: "<service>/<user id or ->" (a message with a
    string field; the health service's request will do)."""
    principal = current_principal()
    who = f"{principal.service}/{principal.user.user_id if principal.user else '-'}"
    return health_pb2.HealthCheckRequest(service=who)


def handlers() -> grpc.GenericRpcHandler:
    method = grpc.unary_unary_rpc_method_handler(
        answer,
        request_deserializer=health_pb2.HealthCheckRequest.FromString,
        response_serializer=health_pb2.HealthCheckRequest.SerializeToString,
    )
    return grpc.method_handlers_generic_handler(
        "test.Echo", {"ForUsers": method, "ForServices": method, "Unstated": method, "Public": method}
    )


@pytest.fixture
async def server(mesh: Callable[[str], Mesh]) -> Any:
    srv = GrpcServer(
        port=0,
        service_names=["test.Echo"],
        mesh=mesh("echo"),
        passports=passport_verifier(keys),
        rules=RULES,
    )
    srv.server.add_generic_rpc_handlers([handlers()])
    await srv.start()
    yield srv
    await srv.stop(0)


async def call(port: int, as_: Mesh, method: str, passport: str = "") -> str:
    ch = channel(f"127.0.0.1:{port}", service="echo", mesh=as_, deadline=3)
    try:
        stub = ch.unary_unary(
            method,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckRequest.FromString,
        )
        with acting_for(passport):
            resp = await stub(health_pb2.HealthCheckRequest())
        return str(resp.service)
    finally:
        await ch.close()


async def test_a_service_acting_for_a_user_is_named_by_its_certificate_and_the_user_by_his_passport(
    server: Any, mesh: Callable[[str], Mesh]
) -> None:
    assert await call(server.port, mesh("gateway"), FOR_USERS, sign(sub="7")) == "gateway/7"
    assert await call(server.port, mesh("notify"), FOR_SERVICES) == "notify/-"


async def test_a_service_in_both_lists_acts_for_the_user_it_brings_a_passport_of_else_for_nobody(
    server: Any, mesh: Callable[[str], Mesh]
) -> None:
    assert await call(server.port, mesh("gateway"), PUBLIC, sign(sub="9")) == "gateway/9"
    assert await call(server.port, mesh("gateway"), PUBLIC) == "gateway/-"
    with pytest.raises(Unauthenticated):  # a passport it brings must be valid
        await call(server.port, mesh("gateway"), PUBLIC, sign(key=Ed25519PrivateKey.generate()))


@pytest.mark.parametrize(
    "passport",
    [
        pytest.param("", id="none"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param(sign(key=Ed25519PrivateKey.generate()), id="forged"),
        pytest.param(sign(ttl=-60), id="expired"),
        pytest.param(sign(audience=AUDIENCE), id="a public access token"),
    ],
)
async def test_a_call_for_a_user_without_a_valid_passport_is_unauthenticated(
    server: Any, mesh: Callable[[str], Mesh], passport: str
) -> None:
    with pytest.raises(Unauthenticated):
        await call(server.port, mesh("gateway"), FOR_USERS, passport)


async def test_a_service_not_named_by_the_rule_is_refused_whatever_it_sends(
    server: Any, mesh: Callable[[str], Mesh]
) -> None:
    with pytest.raises(Forbidden):
        await call(server.port, mesh("notify"), FOR_USERS, sign())
    with pytest.raises(Forbidden):
        await call(server.port, mesh("gateway"), FOR_SERVICES, sign())
    with pytest.raises(Forbidden):
        await call(server.port, mesh("tickets"), FOR_SERVICES)


async def test_a_method_that_states_no_rule_is_closed_to_everyone(
    server: Any, mesh: Callable[[str], Mesh]
) -> None:
    for service in ("gateway", "notify"):
        with pytest.raises(Forbidden):
            await call(server.port, mesh(service), UNSTATED, sign())


async def test_without_a_certificate_of_the_mesh_no_connection_is_made(
    server: Any, tmp_path: Any, test_ca: CertificateAuthority
) -> None:
    """No client certificate, or one from another CA: the TLS handshake fails; the
    handler never runs (nothing is answered at all)."""
    target = f"127.0.0.1:{server.port}"
    no_cert = grpc.ssl_channel_credentials(root_certificates=test_ca.cert_pem)
    stranger = CertificateAuthority(tmp_path / "other-ca").issue("gateway")
    foreign = grpc.ssl_channel_credentials(
        root_certificates=test_ca.cert_pem,
        private_key=(stranger / "tls.key").read_bytes(),
        certificate_chain=(stranger / "tls.crt").read_bytes(),
    )
    for credentials in (no_cert, foreign):
        async with grpc.aio.secure_channel(
            target, credentials, options=[("grpc.ssl_target_name_override", "echo")]
        ) as ch:
            stub = ch.unary_unary(
                FOR_SERVICES,
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckRequest.FromString,
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub(health_pb2.HealthCheckRequest(), timeout=3)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_plain_text_is_only_possible_when_switched_on(mesh: Callable[[str], Mesh]) -> None:
    with pytest.raises(ValueError, match="HELPDESK_TLS_DIR"):
        Mesh(service="gateway")
    insecure = Mesh(service="notify", insecure=True)
    srv = GrpcServer(
        port=0,
        service_names=["test.Echo"],
        mesh=Mesh(service="echo", insecure=True),
        passports=passport_verifier(keys),
        rules=RULES,
    )
    srv.server.add_generic_rpc_handlers([handlers()])
    await srv.start()
    try:
        assert await call(srv.port, insecure, FOR_SERVICES) == "notify/-"
        # A TLS client cannot talk to it, nor a plain one to a TLS server.
        with pytest.raises(Exception):  # noqa: B017 - any failure to connect will do
            await call(srv.port, mesh("notify"), FOR_SERVICES)
    finally:
        await srv.stop(0)


async def test_calls_spread_over_every_replica_behind_one_target(mesh: Callable[[str], Mesh]) -> None:
    """Three replicas of a service behind one target (what a headless Service's DNS name
    resolves to): round robin gives each of them calls."""
    seen: dict[int, int] = {}
    replicas = []
    for index in range(3):

        async def count(request: Any, context: Any, index: int = index) -> health_pb2.HealthCheckRequest:
            seen[index] = seen.get(index, 0) + 1
            return health_pb2.HealthCheckRequest(service=str(index))

        srv = GrpcServer(
            port=0,
            service_names=["test.Echo"],
            mesh=mesh("echo"),
            passports=passport_verifier(keys),
            rules=RULES,
        )
        srv.server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    "test.Echo",
                    {
                        "ForServices": grpc.unary_unary_rpc_method_handler(
                            count,
                            request_deserializer=health_pb2.HealthCheckRequest.FromString,
                            response_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                        )
                    },
                )
            ]
        )
        await srv.start()
        replicas.append(srv)
    target = "ipv4:" + ",".join(f"127.0.0.1:{r.port}" for r in replicas)
    try:
        await call_target(target, mesh("notify"), calls=30)  # one channel, as a service holds it
        assert sorted(seen) == [0, 1, 2] and min(seen.values()) >= 5, seen
    finally:
        for srv in replicas:
            await srv.stop(0)


async def call_target(target: str, as_: Mesh, calls: int) -> None:
    ch = channel(target, service="echo", mesh=as_, deadline=3)
    try:
        stub = ch.unary_unary(
            FOR_SERVICES,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckRequest.FromString,
        )
        for _ in range(calls):
            await stub(health_pb2.HealthCheckRequest())
    finally:
        await ch.close()
