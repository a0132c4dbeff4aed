"""Channel rules every service must agree on (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cc_common.events.interaction import Channel

WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)
"""WhatsApp allows free-form replies only within 24 hours of the customer's last message."""


def needs_template(channel: Channel, last_inbound_at: datetime | None, now: datetime) -> bool:
    """True when only an approved template may be sent (outside WhatsApp's window)."""
    if channel is not Channel.WHATSAPP:
        return False
    return last_inbound_at is None or now - last_inbound_at > WHATSAPP_SERVICE_WINDOW
