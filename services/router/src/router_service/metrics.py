"""The router's Prometheus metrics: live queue figures, SLA breaches, log resets."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

QUEUE_WAITING = Gauge("cc_router_queue_waiting", "Tasks waiting in a queue.", ["tenant", "queue"])
QUEUE_LONGEST_WAIT = Gauge(
    "cc_router_queue_longest_wait_seconds", "Longest current wait in a queue.", ["tenant", "queue"]
)
QUEUE_AGENTS_AVAILABLE = Gauge(
    "cc_router_queue_agents_available",
    "Agents who could take work from a queue now.",
    ["tenant", "queue"],
)
SLA_BREACHES = Counter(
    "cc_router_sla_breaches_total",
    "Tasks answered after their queue's SLA target.",
    ["tenant", "queue"],
)
ROUTING_DECISIONS = Counter("cc_router_decisions_total", "Offers made.", ["tenant"])
LOG_RESETS = Counter(
    "cc_router_log_resets_total",
    "Saved Kafka positions forgotten because the broker's log behind them was replaced.",
    ["tenant", "reason"],
)
