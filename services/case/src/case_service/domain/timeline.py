"""What a timeline entry says about an event, and cursors over the timeline (pure)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from case_service.domain.calls import call_summary_text, summarise
from case_service.domain.errors import Malformed
from case_service.domain.lifecycle import Contact, ContactOutcome
from case_service.domain.model import CaseRef
from case_service.domain.placement import Placement
from case_service.domain.search import searchable
from cc_common.events import CallbackRequested, Envelope, Interaction, RoutingChange

SUMMARY_CHARS = 280
_CALL_NAMESPACE = uuid.UUID("2c7f3b8e-95f4-4c8a-9a0b-5d1e6f7a8b9c")


class InvalidCursor(Malformed):
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
        **searchable(
            [interaction.content.subject, interaction.content.text] if interaction.content else []
        ),
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


def call_entry_id(tenant_id: str, conversation_key: str) -> str:
    """The one timeline entry of a call."""
    return str(uuid.uuid5(_CALL_NAMESPACE, f"{tenant_id}\x1f{conversation_key}"))


def call_entry(
    first: Envelope[Interaction],
    *,
    customer_id: str,
    case_id: str,
    events: list[dict[str, Any]],
    trace_id: str | None,
) -> dict[str, Any]:
    """The timeline document of a whole call, rebuilt from its events."""
    summary = summarise(events)
    return {
        "_id": call_entry_id(first.tenant_id, first.data.conversation_key),
        "tenant_id": first.tenant_id,
        "customer_id": customer_id,
        "case_id": case_id,
        "occurred_at": events[0]["at"],
        "recorded_at": first.recorded_at,
        "order": 0,
        "entry_type": "interaction",
        "kind": "call",
        "channel": first.data.channel.value,
        "direction": summary["direction"],
        "conversation_key": first.data.conversation_key,
        "summary": call_summary_text(summary),
        **searchable([call_summary_text(summary)]),
        "interaction": first.data.model_dump(mode="json", exclude={"voice"}),
        "call": summary,
        "call_events": events,
        "call_event_ids": [e["id"] for e in events],
        "trace_id": trace_id,
    }


def callback_entry(event: Envelope[CallbackRequested], *, case_id: str) -> dict[str, Any]:
    """The timeline document of a callback the system requested."""
    return {
        "_id": str(event.id),
        "tenant_id": event.tenant_id,
        "customer_id": event.data.customer_id,
        "case_id": case_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "order": 1,
        "entry_type": "callback",
        "kind": "callback.requested",
        "channel": "voice",
        "direction": "outbound",
        "conversation_key": f"callback:{event.data.customer_id}",
        "summary": f"callback requested: {event.data.reason.replace('_', ' ')}",
        "callback": event.data.model_dump(mode="json"),
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


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page starts, and how much time the last page covered: a
    hint for how far back the next page's first look should reach."""

    position: Position
    window_ms: int | None = None


def encode_cursor(position: Position, window_ms: int | None = None) -> str:
    """An opaque cursor pointing just past an entry."""
    occurred_at, order, entry_id = position
    fields: list[Any] = [occurred_at.isoformat(), order, entry_id]
    if window_ms is not None:
        fields.append(window_ms)
    raw = json.dumps(fields).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageCursor:
    """The position a cursor points past (cursors without a window hint still read)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, order, entry_id, *rest = json.loads(base64.urlsafe_b64decode(padded))
        window_ms = int(rest[0]) if rest else None
        if window_ms is not None and window_ms < 1:
            raise ValueError("window")
        return PageCursor((datetime.fromisoformat(when), int(order), str(entry_id)), window_ms)
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidCursor("the cursor is not valid") from exc


def case_entry(
    case: CaseRef,
    *,
    entry_id: str,
    kind: str,
    at: datetime,
    summary: str,
    details: dict[str, Any],
    actor: str | None = None,
    order: int = 2,
) -> dict[str, Any]:
    """The timeline document of something that happened to a case (status, edit, merge).

    ``order`` places it among entries of the same instant: a contact's reopening
    (-1) reads before the message that caused it.
    """
    return {
        "_id": entry_id,
        "tenant_id": case.tenant_id,
        "customer_id": case.customer_id,
        "case_id": case.id,
        "occurred_at": at,
        "recorded_at": at,
        "order": order,
        "entry_type": "case",
        "kind": kind,
        "channel": case.channel,
        "conversation_key": case.conversation_key or "",
        "summary": summary,
        "case_change": {"actor": actor, **details},
    }


def case_change_id(case_id: str, cause: str) -> str:
    """The entry of a change a consumed event caused (deterministic: replays agree)."""
    return str(uuid.uuid5(_CALL_NAMESPACE, f"case-change\x1f{case_id}\x1f{cause}"))


def contact_outcome_entry(contact: Contact, placement: Placement) -> dict[str, Any]:
    """The timeline note that a customer's contact reopened a case or started a new one."""
    outcome = placement.outcome
    summary = {
        ContactOutcome.REOPEN: "case reopened: the customer wrote after it was solved",
        ContactOutcome.ANSWERED: "case open again: the customer answered",
        ContactOutcome.NEW_CASE: "new case: the customer wrote after the last one was closed",
    }.get(outcome, f"case {outcome.value}")
    return case_entry(
        placement.case,
        entry_id=case_change_id(placement.case.id, contact.event_id),
        kind=f"case.{outcome.value}",
        at=contact.at,
        summary=summary,
        details={
            "cause_event_id": contact.event_id,
            "previous_case_id": placement.previous.id if placement.previous else None,
        },
        order=-1,
    )


def merge_entry(record: dict[str, Any], *, customer_id: str, undone: bool) -> dict[str, Any]:
    """The timeline document of a customer merge (or its undoing) on one of the two."""
    verb = "unmerged" if undone else "merged"
    at = record["undone_at"] if undone else record["at"]
    other = record["source"] if customer_id == record["target"] else record["target"]
    return {
        "_id": f"{verb}:{record['_id']}:{customer_id}",
        "tenant_id": record["tenant_id"],
        "customer_id": customer_id,
        "case_id": None,
        "occurred_at": at,
        "recorded_at": at,
        "order": 2,
        "entry_type": "customer",
        "kind": f"customer.{verb}",
        "channel": "system",
        "conversation_key": "",
        "summary": f"{verb} with customer {other}: {record['reason']}",
        "merge": {
            "merge_id": record["_id"],
            "source": record["source"],
            "target": record["target"],
            "reason": record["reason"],
            "actor": record["undone_by"] if undone else record["actor"],
        },
    }
