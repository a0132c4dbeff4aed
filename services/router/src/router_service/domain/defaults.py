"""What a tenant gets before anyone configures it: one queue per kind of channel."""

from __future__ import annotations

from dataclasses import dataclass

from cc_common.events import QueueConfigured

CALLBACK_QUEUE = "callbacks"
DEFAULT_QUEUES = (
    QueueConfigured(name="voice", channels=("voice",), sla_seconds=20, offer_timeout_seconds=20),
    QueueConfigured(
        name="email", channels=("email",), sla_seconds=3600, offer_timeout_seconds=None
    ),
    QueueConfigured(
        name="messaging",
        channels=("webchat", "line", "messenger", "instagram", "whatsapp", "telegram", "x", "sms"),
        sla_seconds=60,
        offer_timeout_seconds=30,
    ),
    # Outbound work: customers to call back after a missed or abandoned call.
    QueueConfigured(name=CALLBACK_QUEUE, sla_seconds=3600, offer_timeout_seconds=60),
)
FALLBACK_QUEUE = "messaging"


@dataclass(frozen=True, slots=True)
class RouterPolicy:
    """Tenant-wide routing choices."""

    prefer: str = "longest_idle"  # or "proficiency"
    remember_last_agent_seconds: float = 24 * 3600
    sticky_wait_seconds: float = 30
    transfer_reserve_seconds: float = 60
    away_on_missed_offer: bool = True
    sla_warning_fraction: float = 0.8
    sla_boost: float = 50.0
