"""Folding a batch's case changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
