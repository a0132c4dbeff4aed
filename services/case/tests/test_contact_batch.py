"""Folding a batch's case changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from case_service.ports import CaseChange
from case_service.service.contact_batch import compact

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _inbound(minutes: int) -> dict[str, object]:
    at = T0 + timedelta(minutes=minutes)
    return {
        "reply_to": {"m": minutes},
        "last_inbound_message_id": f"m{minutes}",
        "last_inbound_at": at,
    }


def test_each_cases_activity_becomes_one_update_after_its_status_moves() -> None:
    changes = [
        CaseChange("a", "t", touched_at=T0 + timedelta(minutes=2), returns=1),
        CaseChange("a", "t", inbound=_inbound(2)),
        CaseChange("b", "t", status_fields={"status": "open"}),
        CaseChange("a", "t", touched_at=T0 + timedelta(minutes=1), returns=1),
        CaseChange("a", "t", inbound=_inbound(1)),  # older: the address stays m2's
        CaseChange("b", "t", touched_at=T0),
    ]
    folded = compact(changes)
    assert folded[0] == changes[2]
    assert folded[1:] == [
        CaseChange("a", "t", touched_at=T0 + timedelta(minutes=2), returns=2, inbound=_inbound(2)),
        CaseChange("b", "t", touched_at=T0),
    ]


@pytest.mark.asyncio
async def test_a_resend_in_the_same_batch_keeps_the_first_deliverys_trace() -> None:
    import uuid
    from typing import Any

    from case_service.consumers.interactions import ContactBatchConsumer
    from cc_common.events import (
        INTERACTION_RECEIVED,
        Channel,
        Direction,
        Envelope,
        Interaction,
    )
    from cc_common.kafka.consumer import Delivery

    event = Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id="acme",
        occurred_at=T0,
        source="test",
        data=Interaction(
            channel=Channel.WEBCHAT,
            direction=Direction.INBOUND,
            provider="webchat",
            conversation_key="c1",
        ),
    )
    first, resent = "1" * 32, "2" * 32

    def delivery(trace: str, offset: int) -> Delivery:
        header = f"00-{trace}-{'3' * 16}-01".encode()
        return Delivery("t", 0, offset, None, b"", [("traceparent", header)], event)

    seen: list[dict[str, str | None]] = []

    class Recorder:
        async def record(self, events: list[Any], trace_ids: dict[str, str | None]) -> None:
            seen.append(trace_ids)

    consumer = ContactBatchConsumer(Recorder())  # type: ignore[arg-type]
    assert await consumer([delivery(first, 1), delivery(resent, 2)]) == []
    assert seen == [{str(event.id): first}]
