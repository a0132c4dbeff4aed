"""One call, one record: folding a call's events into its facts (pure).

A call record is the set of its events; every fact is derived from the set. Set union
is commutative, associative and idempotent, so events that arrive out of order or
twice always give the same record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cc_common.events import CallStatus, Envelope, Interaction

TERMINAL = frozenset(
    {
        CallStatus.ENDED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
        CallStatus.VOICEMAIL,
    }
)
CALLBACK_DISPOSITIONS = frozenset({"abandoned_in_queue", "abandoned_in_ivr", "missed"})


def call_fact(event: Envelope[Interaction]) -> dict[str, Any]:
    """The part of a call event the record keeps."""
    voice = event.data.voice
    assert voice is not None
    return {
        "id": str(event.id),
        "status": voice.status,
        "at": event.occurred_at,
        "duration_seconds": voice.duration_seconds,
        "agent_id": voice.agent_id,
        "ivr_path": list(voice.ivr_path),
        "recording_id": voice.recording_id,
        "recording_url": voice.recording_url,
        "recording_duration_seconds": voice.recording_duration_seconds,
        "transcript": voice.transcript,
        "transfer_target": voice.transfer_target,
        "withheld": voice.caller_withheld,
        "direction": event.data.direction.value,
    }


def merge(events: Iterable[dict[str, Any]], more: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The union of two event sets, in a canonical order."""
    by_id = {e["id"]: e for e in events}
    for event in more:
        by_id.setdefault(event["id"], event)
    return sorted(by_id.values(), key=lambda e: (e["at"], e["id"]))


def summarise(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Every fact of the call, derived from its events."""
    first: dict[CallStatus, datetime] = {}
    for event in events:
        status = CallStatus(event["status"])
        first.setdefault(status, event["at"])
    statuses = set(first)
    ends = [e["at"] for e in events if CallStatus(e["status"]) in TERMINAL]
    ended_at = max(ends) if ends else None
    answered = [e for e in events if e["status"] == CallStatus.ANSWERED.value]
    answered_at = answered[0]["at"] if answered else None
    rang_at = min(
        (first[s] for s in (CallStatus.STARTED, CallStatus.RINGING) if s in first), default=None
    )
    hold = _hold_seconds(events, ended_at)
    talk = (
        max(0.0, (ended_at - answered_at).total_seconds() - hold)
        if answered_at and ended_at
        else None
    )
    durations = [e["duration_seconds"] for e in events if e["duration_seconds"] is not None]
    recordings = {
        e["recording_id"]: {
            "url": e["recording_url"],
            "duration_seconds": e["recording_duration_seconds"],
        }
        for e in events
        if e["status"] == CallStatus.RECORDING_AVAILABLE.value and e["recording_id"]
    }
    transcripts = [e["transcript"] for e in events if e["transcript"]]
    ivr = [
        step for e in events if e["status"] == CallStatus.IVR_INPUT.value for step in e["ivr_path"]
    ]
    return {
        "state": _state(statuses),
        "terminal": bool(statuses & TERMINAL),
        "disposition": _disposition(statuses) if statuses & TERMINAL else None,
        "direction": events[0]["direction"] if events else "inbound",
        "rang_at": rang_at,
        "queued_at": first.get(CallStatus.QUEUED),
        "answered_at": answered_at,
        "ended_at": ended_at,
        "answered_by": next((e["agent_id"] for e in answered if e["agent_id"]), None),
        "wait_seconds": (answered_at - first[CallStatus.QUEUED]).total_seconds()
        if answered_at and CallStatus.QUEUED in first
        else None,
        "talk_seconds": talk,
        "hold_seconds": hold,
        "duration_seconds": max(durations) if durations else None,
        "ivr_path": ivr,
        "recordings": recordings,
        "transcript": "\n".join(transcripts) or None,
        "withheld": any(e["withheld"] for e in events),
        "transfers": [e["transfer_target"] for e in events if e["transfer_target"]],
        "unanswered_dials": [
            {"at": e["at"], "agent_id": e["agent_id"]}
            for e in events
            if e["status"] == CallStatus.DIAL_UNANSWERED.value
        ],
    }


def _hold_seconds(events: list[dict[str, Any]], ended_at: datetime | None) -> float:
    total, held_since = 0.0, None
    for event in events:
        if event["status"] == CallStatus.HELD.value and held_since is None:
            held_since = event["at"]
        elif event["status"] == CallStatus.RESUMED.value and held_since is not None:
            total += (event["at"] - held_since).total_seconds()
            held_since = None
    if held_since is not None and ended_at is not None:
        total += (ended_at - held_since).total_seconds()
    return total


def _state(statuses: set[CallStatus]) -> str:
    for status, name in (
        (TERMINAL, "ended"),
        ({CallStatus.ANSWERED}, "answered"),
        ({CallStatus.QUEUED}, "queued"),
        ({CallStatus.IVR_INPUT}, "in_ivr"),
        ({CallStatus.CONNECTED}, "connected"),
    ):
        if statuses & status:
            return name
    return "ringing"


def _disposition(statuses: set[CallStatus]) -> str:
    if CallStatus.ANSWERED in statuses:
        return "answered"
    if CallStatus.VOICEMAIL in statuses:
        return "voicemail"
    if CallStatus.FAILED in statuses:
        return "failed"
    if CallStatus.QUEUED in statuses:
        return "abandoned_in_queue"
    if CallStatus.IVR_INPUT in statuses:
        return "abandoned_in_ivr"
    if CallStatus.CONNECTED in statuses:
        return "connected"  # picked up outside our queues: handled, never a callback
    return "missed"


def call_summary_text(summary: dict[str, Any]) -> str:
    """One line for the timeline."""
    parts = [f"call {summary['disposition'] or summary['state']}".replace("_", " ")]
    if summary["answered_by"]:
        parts.append(f"by {summary['answered_by']}")
    if summary["talk_seconds"] is not None:
        minutes, seconds = divmod(int(summary["talk_seconds"]), 60)
        parts.append(f"{minutes}m{seconds:02d}s talk")
    if summary["recordings"]:
        parts.append(f"{len(summary['recordings'])} recording(s)")
    return ", ".join(parts)
