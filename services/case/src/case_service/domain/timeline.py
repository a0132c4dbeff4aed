"""What a timeline entry says about an event, and cursors over the timeline (pure)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cc_common.events import Envelope, Interaction, RoutingChange

SUMMARY_CHARS = 280


class InvalidCursor(ValueError):
    """The pagination cursor was not issued by us."""


def interaction_entry(
    event: Envelope[Interaction], *, customer_id: str, case_id: str, trace_id: str | None = None
) -> dict[str, Any]:
    """The timeline document of an interaction (its id is the event id: idempotent)."""
    interaction = event.data
    return {
        "_id": str(event.id),
        "tenant_id": event.tenant_id,
        "customer_id": customer_id,
        "case_id": case_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "order": 0,
        "entry_type": "interaction",
        "kind": interaction.kind.value,
        "channel": interaction.channel.value,
        "direction": interaction.direction.value,
        "conversation_key": interaction.conversation_key,
        "summary": _interaction_summary(interaction),
        "interaction": interaction.model_dump(mode="json"),
        "trace_id": trace_id,
    }


def routing_entry(
    event: Envelope[RoutingChange],
    *,
    customer_id: str | None,
    case_id: str | None,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """The timeline document of a routing change (queued, answered by whom, after how long).

    Without a customer (its interaction is not stored yet) the entry waits, unseen,
    until the interaction arrives and adopts it.
    """
    change = event.data
    return {
        "_id": str(event.id),
        "tenant_id": event.tenant_id,
        "customer_id": customer_id,
        "case_id": case_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "order": change.sequence or 0,
        "entry_type": "routing",
        "interaction_id": str(change.interaction_id),
        "kind": f"task.{change.state.value}",
        "channel": change.channel.value,
        "conversation_key": change.conversation_key,
        "summary": _routing_summary(change),
        "routing": change.model_dump(mode="json"),
        "trace_id": trace_id,
    }


def _interaction_summary(interaction: Interaction) -> str | None:
    if interaction.voice is not None:
        voice = interaction.voice
        duration = f" ({voice.duration_seconds} s)" if voice.duration_seconds is not None else ""
        return f"call {voice.status.replace('_', ' ')}{duration}"
    text = interaction.content.text if interaction.content else None
    return text[:SUMMARY_CHARS] if text else None


def _routing_summary(change: RoutingChange) -> str:
    parts = [f"{change.state.value} in {change.queue}"]
    if change.queue_position is not None:
        parts.append(f"position {change.queue_position}")
    if change.agent_id:
        parts.append(f"agent {change.agent_id}")
    return ", ".join(parts)


Position = tuple[datetime, int, str]
"""Where an entry sorts: time, then order within the instant, then id."""


def encode_cursor(position: Position) -> str:
    """An opaque cursor pointing just past an entry."""
    occurred_at, order, entry_id = position
    raw = json.dumps([occurred_at.isoformat(), order, entry_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor points past."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, order, entry_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(when), int(order), str(entry_id)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("the cursor is not valid") from exc
