"""gRPC plumbing: a server with the standard health service, and client channels.

Every client call carries a deadline (the settings' default unless the caller
gives one). AppErrors raised by a servicer travel as gRPC status codes with the
field errors in trailing metadata, and come back out of the client as the same
AppError subclass, so the gateway answers with the right problem+json.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

import grpc
import orjson
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from prometheus_client import Counter, Histogram

from helpdesk_kit import tracing
from helpdesk_kit.errors import AppError, ErrorCode, FieldError, Unavailable, error_for

__all__ = [
    "ERROR_FIELDS_KEY",
    "RETRY_AFTER_KEY",
    "GrpcServer",
    "Handler",
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

ERROR_FIELDS_KEY = "helpdesk-error-fields"
RETRY_AFTER_KEY = "helpdesk-retry-after"


Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class _ErrorMapping(grpc.aio.ServerInterceptor):
    """Turns AppErrors into status codes with their fields, and counts and times every call."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner: Any = handler.unary_unary
        service, _, method = details.method.lstrip("/").rpartition("/")

        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                return await inner(request, context)
            except AppError as exc:
                code = exc.code.grpc_status.name
                meta: list[tuple[str, str]] = []
                if exc.errors:
                    fields = [{"field": e.field, "message": e.message} for e in exc.errors]
                    meta.append((ERROR_FIELDS_KEY, orjson.dumps(fields).decode()))
                if exc.retry_after is not None:
                    meta.append((RETRY_AFTER_KEY, str(exc.retry_after)))
                await context.abort(exc.code.grpc_status, exc.detail, trailing_metadata=tuple(meta))
            except Exception:
                code = "UNKNOWN"
                raise
            finally:
                HANDLED.labels(service, method, code).inc()
                HANDLING.labels(service, method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A grpc.aio server on a port, with health reporting per service name."""

    def __init__(self, *, port: int, service_names: Sequence[str]) -> None:
        interceptors: list[grpc.aio.ServerInterceptor] = [_ErrorMapping()]
        if tracing.is_enabled():
            interceptors.insert(0, aio_server_interceptor())  # type: ignore[no-untyped-call]
        self.server = grpc.aio.server(interceptors=interceptors)
        self.port = self.server.add_insecure_port(f"0.0.0.0:{port}")
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


class _DeadlineAndErrors(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, target: str, deadline: float) -> None:
        self._target = target
        self._deadline = deadline

    async def intercept_unary_unary(
        self,
        continuation: Callable[
            [grpc.aio.ClientCallDetails, Any], Awaitable[grpc.aio.UnaryUnaryCall[Any, Any]]
        ],
        details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        if details.timeout is None:
            details = grpc.aio.ClientCallDetails(
                method=details.method,
                timeout=self._deadline,
                metadata=details.metadata,
                credentials=details.credentials,
                wait_for_ready=details.wait_for_ready,
            )
        try:
            call = await continuation(details, request)
            return await call
        except grpc.aio.AioRpcError as exc:
            raise translate_rpc_error(exc, self._target) from exc


def translate_rpc_error(exc: grpc.aio.AioRpcError, target: str) -> AppError:
    code = ErrorCode.from_grpc(exc.code())
    if code is None:
        # UNKNOWN, INTERNAL, DEADLINE_EXCEEDED...: the other side failed, not the caller.
        return Unavailable(f"{target} failed: {exc.code().name}")
    meta = dict(exc.trailing_metadata() or ())
    errors = [FieldError(**e) for e in orjson.loads(meta.get(ERROR_FIELDS_KEY, "[]"))]
    retry = meta.get(RETRY_AFTER_KEY)
    return error_for(
        code, exc.details() or code.name, errors=errors, retry_after=int(retry) if retry else None
    )


def channel(target: str, *, deadline: float) -> grpc.aio.Channel:
    """A client channel to ``host:port``: traced, with a default deadline and error mapping."""
    interceptors: list[Any] = [_DeadlineAndErrors(target, deadline)]
    if tracing.is_enabled():
        interceptors[:0] = aio_client_interceptors()  # type: ignore[no-untyped-call]
    return grpc.aio.insecure_channel(
        target,
        interceptors=interceptors,
        options=[("grpc.keepalive_time_ms", 30_000), ("grpc.enable_retries", 1)],
    )


async def check_health(ch: grpc.aio.Channel, service: str = "") -> bool:
    try:
        resp = await health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=1.0
        )
    except (grpc.aio.AioRpcError, AppError):
        return False
    return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)
