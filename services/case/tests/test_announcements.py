"""The case consumer's announcements: sent without holding each message, settled
before the batch is committed, and none lost to a broker hiccup."""

from __future__ import annotations

from typing import Any

import pytest

from case_service.adapters.announcements import BrokerAnnouncements
from case_service.domain.model import Case
from cc_common.events import Envelope, utc_now
from cc_common.kafka.producer import BrokerUnavailable

pytestmark = pytest.mark.asyncio


class Broker:
    """Takes events, except while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.taken: list[str] = []

    async def publish(self, topic: str, event: Envelope[Any]) -> None:
        if self.down:
            raise BrokerUnavailable("the broker did not acknowledge the event")
        self.taken.append(event.data.entry_id)


CASE = Case(
    id="case-1",
    tenant_id="acme",
    customer_id="c1",
    channel="webchat",
    conversation_key="webchat:v1",
    opened_at=utc_now(),
)


def entry(n: int) -> dict[str, Any]:
    return {"_id": f"e{n}", "kind": "message", "summary": f"message {n}"}


async def test_an_announcement_the_broker_missed_is_sent_again_before_the_commit() -> None:
    broker = Broker()
    announcements = BrokerAnnouncements(broker.publish, in_background=True)
    await announcements.case_changed(CASE, entry(1), None)
    broker.down = True
    await announcements.case_changed(CASE, entry(2), None)
    with pytest.raises(BrokerUnavailable):  # the runner waits the outage out
        await announcements.settle()
    broker.down = False
    await announcements.case_changed(CASE, entry(3), None)  # the batch handled again
    await announcements.settle()
    assert sorted(broker.taken) == ["e1", "e2", "e3"]
    await announcements.settle()  # nothing left over, nothing sent twice
    assert sorted(broker.taken) == ["e1", "e2", "e3"]
