"""The live feed: this process's subscribers, fed by its own fan-out consumer group.

Every case-service process runs a consumer group of its own (``<group>-live-<id>``)
on ``cc.cases.v1``, ``cc.routing.v1`` and ``cc.signals.v1``, starting at the latest
offset, so an agent connected to any instance sees changes stored by every instance.
A subscriber that falls too far behind (a slow connection) is told so and dropped: it
reconnects and reads the case API again, instead of the feed holding memory for it.
A customer's typing goes to supervisors and to the agent assigned to the case of the
conversation, looked up and kept for a few seconds.

A client that reconnects with ``Last-Event-ID`` is sent what it missed from the
process's replay window (the last events fanned out, bounded in number and age; typing
is not kept). Instances consume the topics independently and may order events from
different partitions a little differently, so the replay also repeats what arrived
just before the client's last event; clients drop repeats by event id.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from case_service.domain.live_events import audience, needs_holder
from cc_common.auth import Principal
from cc_common.events import CasePresence, ConversationTyping, Envelope


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


REORDER_SLACK_SECONDS = 2.0
"""How far before the client's last event a replay starts (see the module's note)."""


@dataclass(frozen=True, slots=True)
class _Recent:
    arrived: float
    event: Envelope[Any]


class ReplayWindow:
    """The last ``size`` events fanned out, none older than ``seconds``."""

    def __init__(
        self, size: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._recent: deque[_Recent] = deque(maxlen=size)
        self._seconds = seconds
        self._clock = clock

    def add(self, event: Envelope[Any]) -> None:
        self._recent.append(_Recent(self._clock(), event))
        self._expire()

    def since(self, event_id: str) -> list[Envelope[Any]] | None:
        """The events after ``event_id`` (and those that came just before it); None when
        it is not in the window (too old, or never seen here): the client missed an
        unknown number and must read the case API again."""
        self._expire()
        recent = list(self._recent)
        at = next((i for i, r in enumerate(recent) if str(r.event.id) == event_id), None)
        if at is None:
            return None
        start = at
        while start > 0 and recent[start - 1].arrived >= recent[at].arrived - REORDER_SLACK_SECONDS:
            start -= 1
        return [r.event for i, r in enumerate(recent[start:], start) if i != at]

    def _expire(self) -> None:
        oldest = self._clock() - self._seconds
        while self._recent and self._recent[0].arrived < oldest:
            self._recent.popleft()


Holder = Callable[[str, str], Awaitable[str | None]]
"""(tenant, conversation key) -> the agent assigned to the conversation's case."""

HOLDER_TTL_SECONDS = 5.0


class LiveFeed:
    def __init__(
        self,
        queue_size: int = 1000,
        holder: Holder | None = None,
        replay: ReplayWindow | None = None,
    ) -> None:
        self._queue_size = queue_size
        self._replay = replay or ReplayWindow(5000, 300.0)
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

    def missed(self, principal: Principal, last_event_id: str) -> list[Envelope[Any]] | None:
        """What a reconnecting subscriber may see since ``last_event_id`` (None: unknown)."""
        since = self._replay.since(last_event_id)
        if since is None:
            return None
        return [event for event in since if audience(principal, event)]

    async def offer(self, event: Envelope[Any]) -> None:
        """Hand an event to every subscriber who may see it, and keep it for replay
        (typing and who has a case open are for now only)."""
        if not isinstance(event.data, ConversationTyping | CasePresence):
            self._replay.add(event)
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
