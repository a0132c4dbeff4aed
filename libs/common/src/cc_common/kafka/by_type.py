"""One consumer, a handler per event type: a service reading a shared topic (the
outbound topic carries replies and one-time codes) hands each event to the code that
knows it."""

from __future__ import annotations

from collections.abc import Mapping

from cc_common.kafka.consumer import Delivery, Handler


class ByEventType:
    def __init__(self, handlers: Mapping[str, Handler], *, default: Handler) -> None:
        self._handlers = dict(handlers)
        self._default = default

    async def __call__(self, delivery: Delivery) -> None:
        await self._handlers.get(delivery.event.type, self._default)(delivery)
