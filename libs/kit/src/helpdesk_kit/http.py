"""The HTTP app every service serves: health, readiness, metrics, problem+json errors.

Errors follow RFC 9457 (``application/problem+json``): ``type``, ``title``,
``status``, ``detail``, a stable ``code`` (``not_found``, ``file.too_large``: what an
interface translates, where ``detail`` is English), for validation errors
``errors: [{field, message, code?, params?}]``, and ``trace_id`` when there is one to
quote. A failure nobody foresaw (a bug) is logged with its stack and a trace id and
answered as a bare 500 carrying only that id: no exception text, address or stack ever
reaches the client.

``/healthz``, ``/readyz`` and ``/metrics`` (the ops endpoints) are part of the app
:func:`create_app` makes; :func:`split_ops` moves them to an app of their own, which
the runtime serves on the ops port (``HELPDESK_OPS_PORT``) when one is set, so that
whatever exposes the HTTP port to the public never exposes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpdesk_kit import tracing
from helpdesk_kit.errors import AppError, ErrorCode
from helpdesk_kit.logs import get_logger

__all__ = [
    "OPS_PATHS",
    "PROBLEM",
    "ReadinessCheck",
    "create_app",
    "http_server",
    "problem",
    "split_ops",
    "trace_id",
]

log = get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

PROBLEM = "application/problem+json"
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _traced() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def trace_id() -> str:
    """The current trace's id (W3C, 32 hex digits); a fresh random one when nothing is traced."""
    return _traced() or secrets.token_hex(16)


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    trace: str | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": _printable(detail, 1000),
        "code": code or _status_code(status),
    }
    if errors:
        body["errors"] = [
            {k: _printable(v, 300) if isinstance(v, str) else v for k, v in e.items()} for e in errors
        ]
    # Every problem names its trace when there is one, so a report can be matched to the logs.
    if tid := trace or _traced():
        body["trace_id"] = tid
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


# The statuses answered outside the error tree (an unreadable body, a body over the
# edge's limit) get names of their own, like the tree's.
_BY_STATUS = {400: "bad_request", 413: "too_large"} | {c.http_status: c.name.lower() for c in ErrorCode}


def _status_code(status: int) -> str:
    """The stable code of a bare HTTP status: the kit's name for it, else ``http_<status>``."""
    return _BY_STATUS.get(status, f"http_{status}")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(text: str, limit: int) -> str:
    """Echoed input made safe to send: valid UTF-8 (a lone surrogate becomes U+FFFD),
    control characters escaped, bounded in length."""
    text = _SURROGATE.sub("\ufffd", text)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    errors = [e.as_json() for e in exc.errors] or None
    return problem(exc.code.http_status, exc.detail, errors=errors, headers=headers, code=exc.problem_code)


def _validation_entry(e: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error as a field error: its ``type`` is the stable code, and the
    numbers of its context (``min_length``, ``le``...) the parameters of the message."""
    entry: dict[str, Any] = {"field": _field_name(tuple(e["loc"])), "message": e["msg"], "code": e["type"]}
    params = {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, int | float | str)}
    if params:
        entry["params"] = params
    return entry


async def _on_validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_validation_entry(e) for e in exc.errors()]
    return problem(422, "The request is not valid.", errors=errors, code="invalid")


async def _on_http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def _on_internal_error(request: Request, exc: Exception) -> Response:
    """The last resort (Starlette calls it for any exception nothing else handled): the
    stack goes to the log under a trace id, the client gets that id and nothing else."""
    tid = trace_id()
    log.error("http.internal_error", trace_id=tid, method=request.method, path=request.url.path, exc_info=exc)
    return problem(500, "Something went wrong on our side; quote the trace id when reporting it.", trace=tid)


class _Metrics:
    """Counts and times each request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # Each label set's counter and histogram, asked of prometheus_client once: its
        # ``labels`` takes a lock and checks the labels on every call, a few µs a request.
        # Bounded as prometheus_client's own children are: routes (or "unmatched"), methods, statuses.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            key = (scope["method"], path, status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    REQUESTS.labels(self.service, scope["method"], path, str(status)),
                    LATENCY.labels(self.service, path),
                )
            children[0].inc()
            children[1].observe(time.perf_counter() - start)


def create_app(
    *,
    service: str,
    readiness: Mapping[str, ReadinessCheck] | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app with /healthz, /readyz, /metrics and problem+json errors."""
    # FastAPI's own telemetry is off: spans come from the OpenTelemetry instrumentation
    # below when tracing is on (one span per request, not two), metrics from /metrics.
    app = FastAPI(
        title=f"helpdesk {service}",
        telemetry={"tracing": False, "metrics": False, "logs": False},
        **fastapi_kwargs,
    )
    app.state.readiness = dict(readiness or {})
    _add_ops_routes(app, app.state.readiness)
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_internal_error)
    app.add_middleware(_Metrics, service=service)
    if tracing.is_enabled():
        # Imported only when tracing is on (tracing.configure_tracing says why).
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    return app


def _add_ops_routes(app: FastAPI, checks: dict[str, ReadinessCheck]) -> None:
    router = app.router

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        names = list(checks)
        results = await asyncio.gather(*(_safe(checks[n]) for n in names))
        report = dict(zip(names, results, strict=True))
        ok = all(results)
        body = {"status": "ok" if ok else "unavailable", "checks": report}
        return Response(orjson.dumps(body), status_code=200 if ok else 503, media_type="application/json")

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def split_ops(app: FastAPI) -> FastAPI:
    """Moves the ops endpoints out of ``app`` into a new app (to be served on the ops port).

    Afterwards ``app`` answers them 404 like any unknown path; requests to the ops app
    are not counted in ``http_requests_total`` (probes and scrapes are not traffic).
    """
    ops = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    _add_ops_routes(ops, app.state.readiness)
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in OPS_PATHS]
    return ops


async def _safe(check: ReadinessCheck) -> bool:
    try:
        return await asyncio.wait_for(check(), timeout=2.0)
    except (TimeoutError, OSError, AppError):
        return False


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process's runtime owns signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def http_server(
    app: ASGIApp, *, port: int, host: str = "127.0.0.1", trusted_proxies: str = ""
) -> uvicorn.Server:
    """uvicorn for ``app``. ``trusted_proxies`` (``ServiceSettings.trusted_proxies``): only
    peers in it may say who the client is (X-Forwarded-For, right-most untrusted hop, and
    X-Forwarded-Proto); without it forwarding headers are ignored — uvicorn's own default
    would believe any local peer."""
    proxies = [p.strip() for p in trusted_proxies.split(",") if p.strip()]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",
        timeout_graceful_shutdown=5,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
    )
    return _Server(config)
