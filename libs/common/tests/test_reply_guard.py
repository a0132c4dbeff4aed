"""A reply a channel cannot send for good is settled as failed before it is
dead-lettered; other errors and other channels' requests are left to the runner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from cc_common.errors import PermanentError
from cc_common.events import (
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Envelope,
    Identity,
    OutboundFailed,
    OutboundRequested,
)
from cc_common.kafka.consumer import Delivery
from cc_common.kafka.reply_guard import SettleRefusedReplies

pytestmark = pytest.mark.asyncio


class Published:
    def __init__(self) -> None:
        self.events: list[tuple[str, Envelope[Any]]] = []

    async def publish(self, topic: str, event: Envelope[Any]) -> None:
        self.events.append((topic, event))


def request(channel: Channel) -> Delivery:
    reply_id = uuid.uuid4()
    event = Envelope[OutboundRequested](
        id=reply_id,
        type=OUTBOUND_REQUESTED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="case-api",
        data=OutboundRequested(
            reply_id=reply_id,
            channel=channel,
            conversation_key="email:thread-1",
            agent_id="agent-1",
            recipient=Identity(kind="email", value="a@example.org"),
            content=Content(text="hello"),
        ),
    )
    return Delivery("cc.outbound.v1", 0, 0, None, b"", [], event)


def guard(error: Exception, published: Published) -> SettleRefusedReplies:
    async def handler(delivery: Delivery) -> None:
        raise error

    return SettleRefusedReplies(
        handler,
        channels=(Channel.EMAIL,),
        producer=published,
        topic="cc.interactions.v1",
        source="ingest-email",
    )


async def test_a_permanent_failure_settles_the_reply_as_failed_then_goes_on() -> None:
    published = Published()
    delivery = request(Channel.EMAIL)
    with pytest.raises(PermanentError):
        await guard(PermanentError("header with a line break"), published)(delivery)
    ((topic, failed),) = published.events
    assert topic == "cc.interactions.v1"
    assert isinstance(failed.data, OutboundFailed)
    assert failed.data.reply_id == delivery.event.data.reply_id
    assert "header with a line break" in failed.data.reason


async def test_transient_failures_and_other_channels_are_left_alone() -> None:
    published = Published()
    with pytest.raises(RuntimeError):
        await guard(RuntimeError("relay timed out"), published)(request(Channel.EMAIL))
    with pytest.raises(PermanentError):
        await guard(PermanentError("not ours"), published)(request(Channel.LINE))
    assert published.events == []
