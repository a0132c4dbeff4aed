"""The live feed's replay window: what a client reconnecting with Last-Event-ID gets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from case_service.service.live_feed import REORDER_SLACK_SECONDS, ReplayWindow
from cc_common.events import CaseChanged, Envelope


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def changed(n: int) -> Envelope[Any]:
    return Envelope[CaseChanged](
        id=uuid.uuid4(),
        type="case.changed",
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="test",
        data=CaseChanged(
            case_id=f"case-{n}",
            customer_id="c1",
            change="note",
            summary=str(n),
            channel="email",
            status="open",
        ),
    )


def window_of(
    count: int, *, spacing: float, size: int = 100, seconds: float = 300
) -> tuple[ReplayWindow, list[Envelope[Any]], Clock]:
    clock = Clock()
    window = ReplayWindow(size, seconds, clock=clock)
    events = []
    for n in range(count):
        event = changed(n)
        window.add(event)
        events.append(event)
        clock.now += spacing
    return window, events, clock


def test_a_reconnect_gets_what_came_after_its_last_event() -> None:
    window, events, _ = window_of(6, spacing=10.0)
    assert window.since(str(events[2].id)) == events[3:]
    assert window.since(str(events[-1].id)) == []


def test_what_came_just_before_it_is_sent_again_for_instances_that_order_differently() -> None:
    window, events, _ = window_of(6, spacing=REORDER_SLACK_SECONDS / 4)
    # Everything within the slack before event 4 comes again (the client drops repeats).
    assert window.since(str(events[4].id)) == [*events[:4], events[5]]


def test_an_id_that_is_too_old_or_unknown_is_a_gap() -> None:
    window, events, clock = window_of(3, spacing=10.0, seconds=35)
    assert window.since(str(uuid.uuid4())) is None
    clock.now += 10  # the first is now 40 s old, over the 35 s kept
    assert window.since(str(events[0].id)) is None
    assert window.since(str(events[1].id)) == [events[2]]


def test_the_window_holds_at_most_its_size() -> None:
    window, events, _ = window_of(10, spacing=10.0, size=4)
    assert window.since(str(events[5].id)) is None
    assert window.since(str(events[6].id)) == events[7:]
