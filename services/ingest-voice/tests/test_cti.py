"""Generic CTI events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_common.events import IdentityKind, InteractionKind
from ingest_voice.domain.cti import CtiEvent, CtiEventKind, InvalidCallerNumber, call_event, to_e164


@pytest.mark.parametrize(
    ("number", "region", "e164"),
    [
        ("090-1234-5678", "JP", "+819012345678"),
        ("+81 90 1234 5678", "US", "+819012345678"),
        ("(415) 555-0100", "US", "+14155550100"),
    ],
)
def test_numbers_are_normalised_to_e164(number: str, region: str, e164: str) -> None:
    assert to_e164(number, default_region=region) == e164


def test_garbage_numbers_are_refused() -> None:
    with pytest.raises(InvalidCallerNumber):
        to_e164("not a number", default_region="JP")


def test_a_call_start_is_routable_work_and_an_end_is_not() -> None:
    start = CtiEvent(
        call_id="c1",
        event=CtiEventKind.CALL_STARTED,
        occurred_at=datetime.now(UTC),
        from_number="090-1234-5678",
    )
    event = call_event("acme", start, default_region="JP")
    assert event.data.kind is InteractionKind.CALL
    assert event.data.conversation_key == "call:c1"
    assert event.data.routing_hints.needs_human
    customer = event.data.customer()
    assert customer is not None
    assert customer.identities[0].kind is IdentityKind.PHONE
    assert customer.identities[0].value == "+819012345678"

    end = start.model_copy(update={"event": CtiEventKind.ENDED, "duration_seconds": 60})
    ended = call_event("acme", end, default_region="JP")
    assert not ended.data.routing_hints.needs_human
    assert ended.data.routing_hints.cancels_work
    assert not event.data.routing_hints.cancels_work
    assert ended.id != event.id
    assert call_event("acme", end, default_region="JP").id == ended.id
