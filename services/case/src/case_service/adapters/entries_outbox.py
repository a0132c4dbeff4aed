"""The timeline entries' outbox: what a reply or a change made through the case API owes
the broker (its request for the channel, its ``case.changed``), and a missed call's
callback request. The shared relay (:mod:`cc_common.outbox`) publishes what is left."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from cc_common.events import event_from_json
from cc_common.events.owed import EVENTS, PENDING, SINCE, Owed, owed_in
from cc_common.logging import get_logger
from cc_common.mongo import Document
from cc_common.outbox import LONG_AGO, MongoOutbox
from cc_common.topics import CASES, OUTBOUND

log = get_logger(__name__)

LEGACY_OWED = ("outbox", "announce")
"""Where entries written before the shared outbox kept a reply's request and an
announcement; still read, so an upgrade loses nothing that was pending."""


class EntriesOutbox(MongoOutbox):
    older_fields = LEGACY_OWED

    def __init__(self, entries: AsyncCollection[Document]) -> None:
        super().__init__(entries, name="case_entries")
        self._entries = entries

    async def upgrade(self) -> int:
        """Make entries that owe events in the earlier layout due to the relay at once."""
        result = await self._entries.update_many(
            {PENDING: True, SINCE: {"$exists": False}}, {"$set": {SINCE: LONG_AGO}}
        )
        if result.modified_count:
            log.info("outbox.upgraded", outbox=self.name, entries=result.modified_count)
        return result.modified_count

    def owed(self, doc: Mapping[str, Any]) -> list[Owed]:
        if EVENTS in doc:
            return owed_in(doc)
        legacy = [
            Owed(topic, event_from_json(doc[field]))
            for field, topic in zip(LEGACY_OWED, (OUTBOUND.name, CASES.name), strict=True)
            if field in doc
        ]
        return legacy if doc.get(PENDING) else []

    async def quarantined(self, doc_id: Any, reason: str, at: datetime) -> None:
        """Kept with why; a reply whose request never reached its channel has failed."""
        await super().quarantined(doc_id, reason, at)
        error = f"the reply could not be handed to its channel: {reason}"
        await self._entries.update_one(
            {"_id": doc_id, "entry_type": "reply", "reply.status": "pending"},
            {
                "$set": {
                    "reply.status": "failed",
                    "reply.error": error[:1000],
                    "reply.failed_at": at,
                }
            },
        )
