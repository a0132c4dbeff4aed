"""Trace context crosses Kafka headers; ids exist even when nothing is exported."""

from __future__ import annotations

from opentelemetry import trace

from cc_common.tracing import (
    configure_tracing,
    context_from_headers,
    current_trace_id,
    inject_headers,
    tracer,
)


def test_a_consumer_continues_the_producers_trace() -> None:
    configure_tracing("test")
    with tracer("test").start_as_current_span("produce"):
        produced_trace = current_trace_id()
        headers = inject_headers([("id", b"e1"), ("traceparent", b"stale")])
    assert produced_trace is not None
    assert [k for k, _ in headers].count("traceparent") == 1
    with tracer("test").start_as_current_span("consume", context=context_from_headers(headers)):
        assert current_trace_id() == produced_trace
    assert trace.get_current_span().get_span_context().is_valid is False
