"""OpenTelemetry set-up and the propagation of trace context through NATS headers."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def configure_tracing(*, service: str, otlp_endpoint: str | None) -> TracerProvider:
    """Installs a tracer provider named after the service; exports over OTLP when configured."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        # Imported here: the exporter pulls in grpc channels we need only when exporting.
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True))
        )
    trace.set_tracer_provider(provider)
    # Runtime queries go through asyncpg (db.py): one span per statement.
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    return provider


def inject_headers() -> dict[str, str]:
    """The current trace context as message headers (``traceparent``, ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context a message carried, to parent the spans of its handling."""
    return propagate.extract(dict(headers or {}))
