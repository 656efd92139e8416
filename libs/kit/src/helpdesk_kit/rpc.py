"""gRPC plumbing: a server with the standard health service, and client channels.

Connections are mutual TLS and every call is admitted by its method's access rule
(``helpdesk_kit.trust``): the server knows which service calls and for which user.
Every client call carries a deadline (the settings' default unless the caller
gives one) and the passport of the user it acts for. AppErrors raised by a
servicer travel as gRPC status codes with the field errors in trailing metadata,
and come back out of the client as the same AppError subclass, so the gateway
answers with the right problem+json.

Kept whole: server, channel and error mapping are the two ends of one wire format.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeAlias

import grpc
import orjson
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import Counter, Histogram

from helpdesk_kit import tracing
from helpdesk_kit.errors import AppError, ErrorCode, FieldError, InvalidInput, Unavailable, error_for
from helpdesk_kit.rpc_channel import MeshChannel
from helpdesk_kit.rpc_input import fields_with_nul
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import (
    PASSPORT_HEADER,
    SERVICE_HEADER,
    Gatekeeper,
    Mesh,
    Principal,
    Rule,
    acting_as,
    outgoing_passport,
    rules_of,
)

__all__ = [
    "APP_ERROR_KEY",
    "ERROR_FIELDS_KEY",
    "MAX_CONNECTION_AGE_MS",
    "RETRY_AFTER_KEY",
    "GrpcServer",
    "Handler",
    "abort_with",
    "channel",
    "check_health",
    "translate_rpc_error",
]

HANDLED = Counter(
    "grpc_server_handled_total", "gRPC calls answered", ["grpc_service", "grpc_method", "grpc_code"]
)
HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "gRPC call latency",
    ["grpc_service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# Binary metadata ("-bin"): field errors may quote the caller's input, and a text
# metadata value must be printable ASCII (anything else failed the whole answer).
ERROR_FIELDS_KEY = "helpdesk-error-fields-bin"
ERROR_KEY_KEY = "helpdesk-error-key"
RETRY_AFTER_KEY = "helpdesk-retry-after"
# Set on every status a servicer raised as an AppError: its detail is meant for the
# caller. A status without it comes from gRPC itself (a connection refused, a deadline)
# and its text, which may name addresses, is not passed on.
APP_ERROR_KEY = "helpdesk-app-error"


Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


def _error_metadata(exc: AppError) -> tuple[tuple[str, str | bytes], ...]:
    meta: list[tuple[str, str | bytes]] = [(APP_ERROR_KEY, "1")]
    if exc.errors:
        fields = [{**e.as_json(), "field": _clean(e.field), "message": _clean(e.message)} for e in exc.errors]
        meta.append((ERROR_FIELDS_KEY, orjson.dumps(fields)))
    if exc.key:
        meta.append((ERROR_KEY_KEY, exc.key))
    if exc.retry_after is not None:
        meta.append((RETRY_AFTER_KEY, str(exc.retry_after)))
    return tuple(meta)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text that encodes as UTF-8 whatever it quotes (a lone surrogate becomes U+FFFD)."""
    return _SURROGATE.sub("\ufffd", text)


async def abort_with(context: grpc.aio.ServicerContext[Any, Any], exc: AppError) -> None:
    """Ends the call with the AppError's status, detail and field errors."""
    await context.abort(exc.code.grpc_status, _clean(exc.detail), trailing_metadata=_error_metadata(exc))


def _refuse_nul(request: Any) -> None:
    """PostgreSQL text cannot hold NUL: such a request is bad input, named by its fields."""
    if isinstance(request, Message) and (names := fields_with_nul(request)):
        raise InvalidInput(
            "Text may not contain NUL characters.",
            errors=[FieldError(name, "must not contain NUL characters") for name in names],
        )


class _Call:
    """One method's wrapper: admission, acting-as, error mapping, metrics."""

    def __init__(self, method_path: str, gate: Gatekeeper | None) -> None:
        self.path = method_path
        self.gate = gate
        self.service, _, self.method = method_path.lstrip("/").rpartition("/")

    async def admit(self, context: grpc.aio.ServicerContext[Any, Any]) -> Principal | None:
        return await self.gate.admit(self.path, context) if self.gate is not None else None

    def unary(self, inner: Any) -> Any:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                principal = await self.admit(context)
                _refuse_nul(request)
                if principal is None:
                    return await inner(request, context)
                with acting_as(principal):
                    return await inner(request, context)
            except AppError as exc:
                code = exc.code.grpc_status.name
                await abort_with(context, exc)
            except Exception:
                code = "UNKNOWN"
                raise
            finally:
                HANDLED.labels(self.service, self.method, code).inc()
                HANDLING.labels(self.service, self.method).observe(time.perf_counter() - started)

        return call

    def streaming(self, inner: Any) -> Any:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            code = "OK"
            try:
                principal = await self.admit(context)
                _refuse_nul(request)
                if principal is None:
                    async for item in inner(request, context):
                        yield item
                else:
                    with acting_as(principal):
                        async for item in inner(request, context):
                            yield item
            except AppError as exc:
                code = exc.code.grpc_status.name
                await abort_with(context, exc)
            finally:
                HANDLED.labels(self.service, self.method, code).inc()

        return call


class _Guard(grpc.aio.ServerInterceptor):
    """Admits each call (caller service and end user, per the method's access rule), turns
    AppErrors into status codes with their fields, and counts and times every call.

    Calls the gatekeeper does not cover (the health service) are open to any peer that
    passed TLS; a method without an access rule is refused.
    """

    def __init__(self, gatekeeper: Gatekeeper) -> None:
        self._gate = gatekeeper

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None:
            return handler
        path: str = details.method
        call = _Call(path, self._gate if self._gate.covers(path) else None)
        codec: dict[str, Any] = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        kinds: list[tuple[Any, Any]] = [
            (handler.unary_unary, lambda f: grpc.unary_unary_rpc_method_handler(call.unary(f), **codec)),
            (handler.stream_unary, lambda f: grpc.stream_unary_rpc_method_handler(call.unary(f), **codec)),
            (
                handler.unary_stream,
                lambda f: grpc.unary_stream_rpc_method_handler(call.streaming(f), **codec),
            ),
            (
                handler.stream_stream,
                lambda f: grpc.stream_stream_rpc_method_handler(call.streaming(f), **codec),
            ),
        ]
        inner, wrap = next(k for k in kinds if k[0] is not None)
        result: Handler = wrap(inner)
        return result


# Servers end each connection after this age (plus a grace for calls in flight), so a
# client re-resolves the service's addresses and new replicas get calls
# (docs/adr/0009-grpc-load-spreading.md).
MAX_CONNECTION_AGE_MS = 60_000
MAX_CONNECTION_AGE_GRACE_MS = 10_000


class GrpcServer:
    """A grpc.aio server on a port, with health reporting per service name.

    Every connection is mutual TLS (plain text only when the mesh is switched to it for
    a test) and every call is admitted by the access rules of ``service_names`` as
    their protos state them (``rules`` replaces them in tests of the kit itself; see
    ``helpdesk_kit.trust``); passports are checked with ``passports``.
    """

    def __init__(
        self,
        *,
        port: int,
        service_names: Sequence[str],
        mesh: Mesh,
        passports: TokenVerifier,
        host: str = "127.0.0.1",
        rules: dict[str, Rule] | None = None,
    ) -> None:
        if rules is None:
            rules = {}
            for name in service_names:
                rules.update(rules_of(name))
        gate = Gatekeeper(mesh=mesh, passports=passports, rules=rules)
        interceptors: list[grpc.aio.ServerInterceptor] = [_Guard(gate)]
        if tracing.is_enabled():
            # Imported only when tracing is on (tracing.configure_tracing says why).
            from opentelemetry.instrumentation.grpc import aio_server_interceptor

            interceptors.insert(0, aio_server_interceptor())  # type: ignore[no-untyped-call]
        self.server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_connection_age_ms", MAX_CONNECTION_AGE_MS),
                ("grpc.max_connection_age_grace_ms", MAX_CONNECTION_AGE_GRACE_MS),
            ],
        )
        address = f"{host}:{port}"
        credentials = mesh.server_credentials()
        if credentials is None:
            self.port = self.server.add_insecure_port(address)
        else:
            self.port = self.server.add_secure_port(address, credentials)
        self._health = health.aio.HealthServicer()
        self._names = ["", *service_names]
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self.server)

    async def start(self) -> None:
        await self.server.start()
        for name in self._names:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        for name in self._names:
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)


def _with_credentials(
    details: grpc.aio.ClientCallDetails, own: tuple[tuple[str, str], ...], timeout: float | None
) -> grpc.aio.ClientCallDetails:
    """The call's details with the passport of the user it acts for (if any) and, in plain
    text test mode, the calling service's name."""
    extra = list(own)
    passport = outgoing_passport()
    if passport:
        extra.append((PASSPORT_HEADER, passport))
    if not extra and timeout is None:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()), *extra)
    return grpc.aio.ClientCallDetails(
        method=details.method,
        timeout=details.timeout if timeout is None else timeout,
        metadata=metadata,
        credentials=details.credentials,
        wait_for_ready=details.wait_for_ready,
    )


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    """Credentials for server-streaming calls (their callers map errors themselves)."""

    def __init__(self, own: tuple[tuple[str, str], ...]) -> None:
        self._own = own

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(_with_credentials(details, self._own, None), request)


class _StreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    """Credentials for client-streaming calls (their callers map errors themselves)."""

    def __init__(self, own: tuple[tuple[str, str], ...]) -> None:
        self._own = own

    async def intercept_stream_unary(
        self,
        continuation: Callable[..., Any],
        details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return await continuation(_with_credentials(details, self._own, None), request_iterator)


def translate_rpc_error(exc: grpc.aio.AioRpcError, service: str) -> AppError:
    """The AppError a servicer raised, as it raised it; any other failure is the
    ``service`` being unavailable (503), named by its name, never by its address."""
    meta = dict(exc.trailing_metadata() or ())
    code = ErrorCode.from_grpc(exc.code())
    if code is None or APP_ERROR_KEY not in meta:
        # UNKNOWN, INTERNAL, DEADLINE_EXCEEDED, a refused connection...: the other side
        # failed, not the caller; gRPC's own text may carry addresses and stays in the logs.
        if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return Unavailable(f"The {service} service did not answer in time.")
        if exc.code() == grpc.StatusCode.UNAVAILABLE:
            return Unavailable(f"The {service} service is unavailable.")
        return Unavailable(f"The {service} service failed ({exc.code().name}).")
    errors = [FieldError(**e) for e in orjson.loads(meta.get(ERROR_FIELDS_KEY) or b"[]")]
    retry = meta.get(RETRY_AFTER_KEY)
    return error_for(
        code,
        exc.details() or code.name,
        errors=errors,
        retry_after=int(retry) if retry else None,
        key=str(meta.get(ERROR_KEY_KEY) or ""),
    )


def channel(target: str, *, service: str, mesh: Mesh, deadline: float) -> grpc.aio.Channel:
    """A client channel to the ``service`` at ``target`` (``host:port``, or a ``dns:///``
    name that resolves to every replica): mutual TLS as ``mesh.service``, calls spread
    round robin over the replicas, traced, with a default deadline and error mapping.
    """
    own: tuple[tuple[str, str], ...] = ((SERVICE_HEADER, mesh.service),) if mesh.insecure else ()
    # Unary calls get theirs from MeshChannel, without an interceptor (rpc_channel says why).
    interceptors: list[Any] = [_UnaryStream(own), _StreamUnary(own)]
    if tracing.is_enabled():
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors[:0] = aio_client_interceptors()  # type: ignore[no-untyped-call]
    options: list[tuple[str, Any]] = [
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.enable_retries", 1),
        ("grpc.lb_policy_name", "round_robin"),
        # A service that was down is tried again every two seconds at most, not after
        # gRPC's default of up to two minutes: its routes come back soon after it does
        # (until a reconnect succeeds, calls to it fail fast: 503 at the gateway).
        ("grpc.max_reconnect_backoff_ms", 2000),
    ]
    credentials = mesh.channel_credentials()
    if credentials is None:
        inner = grpc.aio.insecure_channel(target, interceptors=interceptors, options=options)
    else:
        # Certificates name the service, not the address it happens to be reached at.
        options.append(("grpc.ssl_target_name_override", service))
        inner = grpc.aio.secure_channel(target, credentials, interceptors=interceptors, options=options)
    return MeshChannel(inner, service=service, deadline=deadline, own=own, translate=translate_rpc_error)


async def check_health(ch: grpc.aio.Channel, service: str = "") -> bool:
    try:
        resp = await health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=1.0
        )
    except (grpc.aio.AioRpcError, AppError):
        return False
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)
