"""OpenTelemetry traces that follow one interaction across HTTP and Kafka.

The W3C ``traceparent`` travels in Kafka message headers: the producer injects the
current context, consumers continue it. Spans are exported over OTLP/HTTP when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; without it, contexts are still created and
propagated (so ids reach logs and stored records) but nothing is sent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

TRACE_HEADERS = ("traceparent", "tracestate")


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> None:
    """Install the process's tracer provider once; add ``exporter`` (or OTLP) to it."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        if exporter is None and os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        # With nowhere to send spans, do not record them (a quarter of an ingest
        # request's cost): trace ids are still created and propagated.
        provider = TracerProvider(
            resource=Resource.create({"service.name": service}),
            sampler=ParentBased(ALWAYS_ON) if exporter is not None else ALWAYS_OFF,
        )
        trace.set_tracer_provider(provider)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))


def tracer(name: str) -> trace.Tracer:
    """A tracer for one module."""
    return trace.get_tracer(name)


def inject_headers(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The headers plus the current trace context (replacing any earlier one)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    kept = [(k, v) for k, v in headers if k not in TRACE_HEADERS]
    return kept + [(k, v.encode()) for k, v in carrier.items()]


def context_from_headers(headers: Iterable[tuple[str, bytes]]) -> Context:
    """The trace context a message carries (an empty one when it carries none)."""
    carrier = {k: v.decode("latin-1") for k, v in headers if k in TRACE_HEADERS}
    return propagate.extract(carrier)


def context_from_http(headers: Sequence[tuple[bytes, bytes]]) -> Context:
    """The trace context of an HTTP request's raw ASGI headers."""
    carrier = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in headers
        if k.decode("latin-1") in TRACE_HEADERS
    }
    return propagate.extract(carrier)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside a trace."""
    return _hex_trace_id(trace.get_current_span())


def trace_id_of(headers: Iterable[tuple[str, bytes]]) -> str | None:
    """The trace id a message's headers carry, as 32 hex digits, or None."""
    return _hex_trace_id(trace.get_current_span(context_from_headers(headers)))


def _hex_trace_id(span: trace.Span) -> str | None:
    span_context = span.get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
