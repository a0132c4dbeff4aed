"""Prometheus metrics shared by every service (one process registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "cc_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "cc_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter(
    "cc_events_published_total", "Events acknowledged by the broker.", ["topic"]
)
PUBLISH_FAILURES = Counter(
    "cc_publish_failures_total", "Publishes the broker did not acknowledge.", ["topic"]
)
EVENTS_CONSUMED = Counter(
    "cc_events_consumed_total", "Messages handled by a consumer.", ["topic", "group", "outcome"]
)
HANDLER_RETRIES = Counter(
    "cc_handler_retries_total", "Handler attempts that failed and were retried.", ["group"]
)
DEAD_LETTERED = Counter(
    "cc_dead_lettered_total", "Messages sent to a dead-letter topic.", ["topic", "group"]
)
CONSUMER_BATCH_SECONDS = Histogram(
    "cc_consumer_batch_seconds",
    "Where a consumer's time goes, per batch: the fetch that brought it (waiting"
    " included), handling it, committing its offsets.",
    ["group", "phase"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_BATCH_RECORDS = Histogram(
    "cc_consumer_batch_records",
    "Messages per batch a consumer handled.",
    ["group"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
CONSUMER_LAG = Gauge(
    "cc_consumer_lag_messages", "Messages behind the partition end.", ["topic", "group"]
)
SIGNATURE_FAILURES = Counter(
    "cc_signature_failures_total", "Webhook requests refused for a bad signature.", ["provider"]
)
OUTBOX_BEHIND = Gauge(
    "cc_outbox_behind_entries",
    "Documents whose events (a reply's request, an announcement, a sent mail's record)"
    " are still unpublished past the grace period, as the relay last found them (at most"
    " one page).",
    ["outbox"],
)
OUTBOX_QUARANTINED = Counter(
    "cc_outbox_quarantined_total",
    "Documents set aside because their events cannot be sent.",
    ["outbox"],
)
