"""Publishes what timeline entries owe the broker and were not confirmed to have sent:
a reply's ``outbound.requested``, and the ``case.changed`` an entry written by the case
API carries (stored in the same document as the change: a transactional outbox
without a transaction).

The API publishes at once and clears the entry's outbox flag; when the
broker was down (or the process died in between), this relay finds the entry
later and publishes it again. Event ids derive from the entry (a reply's is its reply
id), so a second publication is harmless: channels send a reply once per id, the
webhook fan-out stores one delivery per event, live clients drop repeats by id. An
entry that cannot be published for good (the broker refuses its event, or
``MAX_TRIES`` tries failed) is quarantined: kept with the reason (a reply is marked
failed), and the relay goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from case_service.metrics import OUTBOX_BEHIND, OUTBOX_QUARANTINED
from cc_common.events import CaseChanged, Envelope, OutboundRequested, Publisher, utc_now
from cc_common.kafka.producer import BrokerUnavailable, EventRefused
from cc_common.logging import get_logger
from cc_common.supervision import Periodic
from cc_common.topics import CASES, OUTBOUND

log = get_logger(__name__)


MAX_TRIES = 5
"""Failed tries (other than broker outages) before an entry is quarantined."""


class Outbox(Protocol):
    async def outbox_pending(self, older_than: Any, limit: int = 100) -> list[dict[str, Any]]: ...

    async def outbox_sent(self, entry_id: str) -> None: ...

    async def outbox_attempt_failed(self, entry_id: str, reason: str) -> int: ...

    async def outbox_quarantined(self, entry_id: str, reason: str, at: datetime) -> None: ...


def owed_events(doc: dict[str, Any]) -> list[tuple[str, Envelope[Any]]]:
    """What an entry owes the broker, in order: a reply's request for its channel, then
    the announcement of the change (entries of the case API carry one)."""
    owed: list[tuple[str, Envelope[Any]]] = []
    if "outbox" in doc:
        owed.append((OUTBOUND.name, Envelope[OutboundRequested].model_validate(doc["outbox"])))
    if "announce" in doc:
        owed.append((CASES.name, Envelope[CaseChanged].model_validate(doc["announce"])))
    return owed


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
        OUTBOX_BEHIND.set(len(pending))
        relayed = 0
        for doc in pending:
            try:
                for topic, event in owed_events(doc):
                    await self._producer.publish(topic, event)
            except BrokerUnavailable:
                raise  # an outage: the next round tries again, and it is not counted
            except EventRefused as exc:
                await self._quarantine(doc["_id"], str(exc))
                continue
            except Exception as exc:
                tries = await self._outbox.outbox_attempt_failed(doc["_id"], repr(exc))
                log.warning(
                    "outbox.relay_failed", entry_id=doc["_id"], tries=tries, error=repr(exc)
                )
                if tries >= MAX_TRIES:
                    await self._quarantine(doc["_id"], f"{tries} tries failed: {exc!r}")
                continue
            await self._outbox.outbox_sent(doc["_id"])
            relayed += 1
            OUTBOX_BEHIND.dec()
        if relayed:
            log.info("outbox.relayed", count=relayed)
        return relayed

    async def _quarantine(self, entry_id: str, reason: str) -> None:
        """Set a poison entry aside (kept, with why) so the entries after it go on."""
        log.error("outbox.quarantined", entry_id=entry_id, reason=reason)
        await self._outbox.outbox_quarantined(entry_id, reason, utc_now())
        OUTBOX_QUARANTINED.inc()
        OUTBOX_BEHIND.dec()
