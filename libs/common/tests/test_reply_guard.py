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
from cc_common.kafka.producer import BrokerUnavailable
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
        give_up_after=3,
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


async def test_a_failure_settles_the_reply_on_the_last_attempt_only() -> None:
    published = Published()
    delivery = request(Channel.EMAIL)
    # Our own broker down is waited out by the consumer, and not counted.
    errors = [
        RuntimeError("relay timed out"),
        BrokerUnavailable("down"),
        RuntimeError("relay timed out"),
        BrokerUnavailable("down"),
    ]

    async def handler(delivery: Delivery) -> None:
        raise errors.pop(0) if errors else RuntimeError("relay timed out")

    failing = SettleRefusedReplies(
        handler,
        channels=(Channel.EMAIL,),
        producer=published,
        topic="cc.interactions.v1",
        source="ingest-email",
        give_up_after=3,
    )
    for _ in range(4):
        with pytest.raises((RuntimeError, BrokerUnavailable)):
            await failing(delivery)
    assert published.events == []  # two failures counted: still pending
    with pytest.raises(RuntimeError):
        await failing(delivery)  # the third, the consumer's last attempt
    ((_, failed),) = published.events
    assert isinstance(failed.data, OutboundFailed)
    assert "was not sent: relay timed out" in failed.data.reason


async def test_other_channels_are_left_alone() -> None:
    published = Published()
    with pytest.raises(PermanentError):
        await guard(PermanentError("not ours"), published)(request(Channel.LINE))
    assert published.events == []
