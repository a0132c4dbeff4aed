"""The case service's own Prometheus metrics (the shared ones are in cc_common)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WEBHOOK_LEASED = Counter(
    "cc_webhook_deliveries_leased_total", "Webhook deliveries a sender took to attempt."
)
WEBHOOK_BACKLOG = Gauge(
    "cc_webhook_backlog_deliveries", "Webhook deliveries due now and not yet attempted."
)
WEBHOOK_OLDEST_DUE = Gauge(
    "cc_webhook_oldest_due_seconds", "How long the oldest due webhook delivery has waited."
)
