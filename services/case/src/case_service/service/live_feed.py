"""The live feed: this process's subscribers, fed by its own fan-out consumer group.

Every case-service process runs a consumer group of its own (``<group>-live-<id>``)
on ``cc.cases.v1``, ``cc.routing.v1`` and ``cc.signals.v1``, starting at the latest
offset, so an agent connected to any instance sees changes stored by every instance.
A subscriber that falls too far behind (a slow connection) is told so and dropped: it
reconnects and reads the case API again, instead of the feed holding memory for it.
A customer's typing goes to supervisors and to the agent assigned to the case of the
conversation, looked up and kept for a few seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from case_service.domain.live_events import audience, needs_holder
from cc_common.auth import Principal
from cc_common.events import Envelope


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


Holder = Callable[[str, str], Awaitable[str | None]]
"""(tenant, conversation key) -> the agent assigned to the conversation's case."""

HOLDER_TTL_SECONDS = 5.0


class LiveFeed:
    def __init__(self, queue_size: int = 1000, holder: Holder | None = None) -> None:
        self._queue_size = queue_size
        self._subscriptions: set[Subscription] = set()
        self._holder = holder
        self._holders: dict[tuple[str, str], tuple[float, str | None]] = {}

    def subscribe(self, principal: Principal) -> Subscription:
        subscription = Subscription(principal, self._queue_size)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    async def offer(self, event: Envelope[Any]) -> None:
        """Hand an event to every subscriber who may see it."""
        if not self._subscriptions:
            return
        conversation = needs_holder(event)
        holder = await self._holder_of(event.tenant_id, conversation) if conversation else None
        for subscription in list(self._subscriptions):
            if audience(subscription.principal, event, holder=holder):
                subscription.offer(event)

    async def _holder_of(self, tenant_id: str, conversation_key: str) -> str | None:
        """Who holds the conversation, cached a few seconds (typing comes in bursts)."""
        if self._holder is None:
            return None
        key = (tenant_id, conversation_key)
        now = time.monotonic()
        cached = self._holders.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        holder = await self._holder(tenant_id, conversation_key)
        if len(self._holders) > 10_000:
            self._holders.clear()
        self._holders[key] = (now + HOLDER_TTL_SECONDS, holder)
        return holder
