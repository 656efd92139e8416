"""OpenTelemetry set-up and the propagation of trace context through NATS headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import context, propagate, trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

__all__ = ["configure_tracing", "extract_context", "inject_headers", "is_enabled"]

_enabled = False


def is_enabled() -> bool:
    """Whether spans are recorded (an OTLP endpoint is configured).

    Without an exporter nobody would read the spans, and instrumenting every
    request, RPC and query costs a large share of the hot path's CPU; the
    instrumentation is then left out entirely (spans are the API's no-ops).
    """
    return _enabled


def configure_tracing(*, service: str, otlp_endpoint: str | None) -> TracerProvider | None:
    """Installs a tracer provider named after the service exporting over OTLP, when configured."""
    global _enabled
    if not otlp_endpoint:
        return None
    # Imported here, and so are the instrumentations where they are installed: the SDK,
    # the exporter (grpc channels) and the instrumented libraries (asyncpg even in a
    # service without a database) cost every process tens of MB it needs only when
    # exporting (bench/RESULTS.md § The gateway's hot path and idle memory).
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    trace.set_tracer_provider(provider)
    # Runtime queries go through asyncpg (db.py): one span per statement.
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    _enabled = True
    return provider


def inject_headers() -> dict[str, str]:
    """The current trace context as message headers (``traceparent``, ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context a message carried, to parent the spans of its handling."""
    return propagate.extract(dict(headers or {}))
