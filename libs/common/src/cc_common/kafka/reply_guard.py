"""No reply stays pending for ever: a reply a channel cannot send for good is settled
as failed, with the reason, before its request is dead-lettered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container

from cc_common.errors import PermanentError, is_infrastructure_error
from cc_common.events import Channel, Publisher, outbound_request_for, utc_now
from cc_common.events.replies import reply_failed
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger

log = get_logger(__name__)

REASON_CHARS = 900


FAILURES_KEPT = 10_000


class SettleRefusedReplies:
    """Wraps a channel's reply handler. When it raises a PermanentError for a reply of
    one of ``channels`` (a reply that cannot be composed, an event the broker refuses),
    or fails for the ``give_up_after``-th time (the consumer's last attempt; outages of
    our own broker or database are not counted, as the consumer does not count them),
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
        give_up_after: int,
    ) -> None:
        self._handler = handler
        self._channels = channels
        self._producer = producer
        self._topic = topic
        self._source = source
        self._give_up_after = give_up_after
        self._failures: dict[str, int] = {}

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        try:
            await self._handler(delivery)
        except Exception as exc:
            if is_infrastructure_error(exc) and not isinstance(exc, PermanentError):
                raise
            if outbound_request_for(event, self._channels) is not None and self._last(
                event.id, exc
            ):
                what = "cannot be sent" if isinstance(exc, PermanentError) else "was not sent"
                reason = f"the reply {what}: {exc or type(exc).__name__}"[:REASON_CHARS]
                log.warning("reply.failed_for_good", event_id=str(event.id), reason=reason)
                failure = reply_failed(
                    event, reason=reason, failed_at=utc_now(), source=self._source
                )
                await self._producer.publish(self._topic, failure)
            raise
        self._failures.pop(str(event.id), None)

    def _last(self, event_id: object, exc: Exception) -> bool:
        """True when this failure is the request's last attempt."""
        if isinstance(exc, PermanentError):
            return True
        key = str(event_id)
        if len(self._failures) >= FAILURES_KEPT:
            self._failures.clear()
        tries = self._failures[key] = self._failures.get(key, 0) + 1
        if tries >= self._give_up_after:
            del self._failures[key]
            return True
        return False
