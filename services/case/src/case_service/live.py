"""The live hub: this process's subscribers, fed by its own fan-out consumer group.

Every case-service process runs a consumer group of its own (``<group>-live-<id>``)
on ``cc.cases.v1`` and ``cc.routing.v1``, starting at the latest offset, so an agent
connected to any instance sees changes stored by every instance. A subscriber that
falls too far behind (a slow connection) is told so and dropped: it reconnects and
reads the case API again, instead of the hub holding memory for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from case_service.domain.live import audience
from cc_common.auth import Principal
from cc_common.events import Envelope
from cc_common.kafka.consumer import Delivery


class Overflowed:
    """Sentinel: the subscriber missed events."""


OVERFLOW = Overflowed()


class Subscription:
    def __init__(self, principal: Principal, size: int) -> None:
        self.principal = principal
        self.queue: asyncio.Queue[Envelope[Any] | Overflowed] = asyncio.Queue(size + 1)
        self._size = size
        self.overflowed = False

    def offer(self, event: Envelope[Any]) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self._size:
            self.overflowed = True
            self.queue.put_nowait(OVERFLOW)
            return
        self.queue.put_nowait(event)


class LiveHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscriptions: set[Subscription] = set()

    def subscribe(self, principal: Principal) -> Subscription:
        subscription = Subscription(principal, self._queue_size)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    async def __call__(self, delivery: Delivery) -> None:
        """The fan-out consumer's handler: hand the event to whoever may see it."""
        for subscription in list(self._subscriptions):
            if audience(subscription.principal, delivery.event):
                subscription.offer(delivery.event)
