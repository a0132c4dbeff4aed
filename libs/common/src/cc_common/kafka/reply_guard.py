"""No reply stays pending for ever: a reply a channel cannot send for good is settled
as failed, with the reason, before its request is dead-lettered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container

from cc_common.errors import PermanentError
from cc_common.events import Channel, Publisher, outbound_request_for, utc_now
from cc_common.events.replies import reply_failed
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger

log = get_logger(__name__)

REASON_CHARS = 900


class SettleRefusedReplies:
    """Wraps a channel's reply handler. When it raises a PermanentError for a reply of
    one of ``channels`` (a reply that cannot be composed, an event the broker refuses),
    ``outbound.failed`` is published with the reason, so the agent sees the reply fail
    instead of pending for ever; the error then goes on to the consumer, which
    dead-letters the request and carries on with the next one."""

    def __init__(
        self,
        handler: Callable[[Delivery], Awaitable[None]],
        *,
        channels: Container[Channel],
        producer: Publisher,
        topic: str,
        source: str,
    ) -> None:
        self._handler = handler
        self._channels = channels
        self._producer = producer
        self._topic = topic
        self._source = source

    async def __call__(self, delivery: Delivery) -> None:
        try:
            await self._handler(delivery)
        except PermanentError as exc:
            event = delivery.event
            if outbound_request_for(event, self._channels) is not None:
                reason = f"the reply cannot be sent: {exc}"[:REASON_CHARS]
                log.warning("reply.failed_for_good", event_id=str(event.id), reason=reason)
                failure = reply_failed(
                    event, reason=reason, failed_at=utc_now(), source=self._source
                )
                await self._producer.publish(self._topic, failure)
            raise
