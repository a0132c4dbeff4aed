"""Announces replies whose ``outbound.requested`` was stored but not yet published.

The reply API publishes at once and clears the entry's outbox flag; when the
broker was down (or the process died in between), this relay finds the entry
later and publishes it again. The event id is the reply id, so a second
publication is harmless: the channel sends a reply once per id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from cc_common.events import Envelope, OutboundRequested, Publisher, utc_now
from cc_common.logging import get_logger
from cc_common.supervision import Periodic
from cc_common.topics import OUTBOUND

log = get_logger(__name__)


class Outbox(Protocol):
    async def outbox_pending(self, older_than: Any, limit: int = 100) -> list[dict[str, Any]]: ...

    async def outbox_sent(self, entry_id: str) -> None: ...


class OutboxRelay(Periodic):
    name = "outbox"

    def __init__(
        self,
        *,
        outbox: Outbox,
        producer: Publisher,
        interval_seconds: float = 2.0,
        grace_seconds: float = 5.0,
    ) -> None:
        super().__init__(interval_seconds)
        self._outbox = outbox
        self._producer = producer
        self._grace = timedelta(seconds=grace_seconds)

    async def round(self) -> int:
        return await self.relay_once()

    async def relay_once(self) -> int:
        """Publish every reply pending longer than the grace period; return how many."""
        pending = await self._outbox.outbox_pending(utc_now() - self._grace)
        for doc in pending:
            event = Envelope[OutboundRequested].model_validate(doc["outbox"])
            await self._producer.publish(OUTBOUND.name, event)
            await self._outbox.outbox_sent(doc["_id"])
        if pending:
            log.info("outbox.relayed", count=len(pending))
        return len(pending)
