"""This process's own fan-out consumer: every case change, routing change and signal,
offered to the live feed's subscribers (see service/live_feed.py)."""

from __future__ import annotations

from case_service.service.live_feed import LiveFeed
from cc_common.kafka.consumer import Delivery


class LiveFeedConsumer:
    def __init__(self, feed: LiveFeed) -> None:
        self._feed = feed

    async def __call__(self, delivery: Delivery) -> None:
        await self._feed.offer(delivery.event)
