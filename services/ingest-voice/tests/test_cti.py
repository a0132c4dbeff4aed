"""Call events from the generic CTI JSON, and caller identity (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_common.events import CallStatus, IdentityKind, InteractionKind
from ingest_voice.domain.calls import InvalidCallerNumber, call_interaction, to_e164
from ingest_voice.domain.cti import CtiEvent, CtiEventKind

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


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


def cti(event: CtiEventKind, **fields: object) -> CtiEvent:
    return CtiEvent.model_validate(
        {"call_id": "c1", "event": event, "occurred_at": NOW, "from_number": "090-1234-5678"}
        | fields
    )


def test_a_queued_call_is_routable_work_with_its_ivr_skills() -> None:
    event = call_interaction(
        "acme",
        cti(CtiEventKind.QUEUED, skills=("billing",), priority=3).to_call_event(),
        default_region="JP",
    )
    assert event.data.kind is InteractionKind.CALL
    assert event.data.conversation_key == "call:cti:c1"
    hints = event.data.routing_hints
    assert hints.needs_human
    assert hints.skills == ("billing",)
    assert hints.priority == 3
    customer = event.data.customer()
    assert customer is not None
    assert customer.identities[0].kind is IdentityKind.PHONE
    assert customer.identities[0].value == "+819012345678"


def test_start_is_not_work_and_hang_up_cancels_waiting_work() -> None:
    started = call_interaction(
        "acme", cti(CtiEventKind.CALL_STARTED).to_call_event(), default_region="JP"
    )
    ended = call_interaction(
        "acme", cti(CtiEventKind.ENDED, duration_seconds=60).to_call_event(), default_region="JP"
    )
    assert not started.data.routing_hints.needs_human
    assert not started.data.routing_hints.cancels_work
    assert ended.data.routing_hints.cancels_work
    assert ended.data.voice is not None
    assert ended.data.voice.status == CallStatus.ENDED.value
    assert ended.id != started.id
    assert (
        call_interaction(
            "acme",
            cti(CtiEventKind.ENDED, duration_seconds=60).to_call_event(),
            default_region="JP",
        ).id
        == ended.id
    )


def test_withheld_numbers_become_anonymous_callers() -> None:
    for withheld in (None, "anonymous", "+266696687", "Restricted"):
        event = CtiEvent(
            call_id="c2", event=CtiEventKind.CALL_STARTED, occurred_at=NOW, from_number=withheld
        )
        interaction = call_interaction("acme", event.to_call_event(), default_region="JP").data
        customer = interaction.customer()
        assert customer is not None
        assert customer.identities[0].kind is IdentityKind.ANONYMOUS
        assert interaction.voice is not None
        assert interaction.voice.caller_withheld
