"""A call's events fold into one record, whatever their order or repeats (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from case_service.domain.calls import call_summary_text, merge, summarise
from cc_common.events import CallStatus

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def fact(n: int, status: CallStatus, seconds: float, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"e{n}",
        "status": status.value,
        "at": T0 + timedelta(seconds=seconds),
        "duration_seconds": None,
        "agent_id": None,
        "ivr_path": [],
        "recording_id": None,
        "recording_url": None,
        "recording_duration_seconds": None,
        "transcript": None,
        "transfer_target": None,
        "withheld": False,
        "direction": "inbound",
    }
    return base | extra


ANSWERED_CALL = [
    fact(1, CallStatus.STARTED, 0),
    fact(2, CallStatus.IVR_INPUT, 8, ivr_path=["2"]),
    fact(3, CallStatus.QUEUED, 8),
    fact(4, CallStatus.ANSWERED, 38, agent_id="ana"),
    fact(5, CallStatus.HELD, 100),
    fact(6, CallStatus.RESUMED, 130),
    fact(7, CallStatus.ENDED, 222, duration_seconds=222),
    fact(8, CallStatus.RECORDING_AVAILABLE, 230, recording_id="RE1", recording_url="https://r/RE1"),
    fact(9, CallStatus.TRANSCRIPT_AVAILABLE, 260, transcript="my router is broken"),
]


def fold_in_order(events: list[dict[str, Any]]) -> dict[str, Any]:
    record: list[dict[str, Any]] = []
    for event in events:
        record = merge(record, [event])
    return summarise(record)


def test_an_answered_call_has_its_times_agent_recording_and_transcript() -> None:
    summary = fold_in_order(ANSWERED_CALL)
    assert summary["disposition"] == "answered"
    assert summary["answered_by"] == "ana"
    assert summary["wait_seconds"] == 30
    assert summary["hold_seconds"] == 30
    assert summary["talk_seconds"] == 222 - 38 - 30
    assert summary["ivr_path"] == ["2"]
    assert summary["recordings"] == {"RE1": {"url": "https://r/RE1", "duration_seconds": None}}
    assert summary["transcript"] == "my router is broken"
    assert call_summary_text(summary) == "call answered, by ana, 2m34s talk, 1 recording(s)"


def test_dispositions() -> None:
    def disposition(*statuses: CallStatus) -> str | None:
        value: str | None = summarise([fact(n, s, n) for n, s in enumerate(statuses)])[
            "disposition"
        ]
        return value

    assert (
        disposition(CallStatus.STARTED, CallStatus.QUEUED, CallStatus.ENDED) == "abandoned_in_queue"
    )
    assert (
        disposition(CallStatus.STARTED, CallStatus.IVR_INPUT, CallStatus.ENDED)
        == "abandoned_in_ivr"
    )
    assert disposition(CallStatus.STARTED, CallStatus.NO_ANSWER) == "missed"
    assert disposition(CallStatus.STARTED, CallStatus.QUEUED, CallStatus.VOICEMAIL) == "voicemail"
    assert disposition(CallStatus.STARTED, CallStatus.FAILED) == "failed"
    # Picked up outside our queues (Twilio's completed call with a duration): handled.
    assert disposition(CallStatus.STARTED, CallStatus.CONNECTED, CallStatus.ENDED) == "connected"
    assert disposition(CallStatus.CONNECTED, CallStatus.ENDED, CallStatus.STARTED) == "connected"
    # A caller picked up by our IVR who then hangs up in the queue did abandon.
    assert (
        disposition(CallStatus.CONNECTED, CallStatus.QUEUED, CallStatus.ENDED)
        == "abandoned_in_queue"
    )
    assert disposition(CallStatus.STARTED, CallStatus.QUEUED) is None, "not over yet"


@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=len(ANSWERED_CALL)))
def test_shuffled_and_repeated_events_converge_to_the_same_record(
    rng: random.Random, repeats: int
) -> None:
    arrivals = ANSWERED_CALL + [rng.choice(ANSWERED_CALL) for _ in range(repeats)]
    rng.shuffle(arrivals)
    assert fold_in_order(arrivals) == fold_in_order(ANSWERED_CALL)
