"""One transactional outbox for every event a service owes after changing its own state:
a reply's request for its channel, a case change's announcement, a missed call's
callback, a sent email's record, a received email whose sender was told to retry.

A document owes events by carrying them, written by the same single-document write as
the change (so no transaction is needed, and the embedded database has none). The
writer publishes them at once and marks the document (:func:`publish_owed`); when the
broker was down, or the process died between the write and the publish, the
:class:`OutboxRelay` finds the document after a grace period and publishes them. Event
ids are fixed when the events are written, so a second publication is a repeat that
consumers drop by id. A document whose events the broker refuses for what they are, or
that failed :data:`MAX_TRIES` times, is quarantined (kept, with why) and the relay goes
on with the others.

Not here: the router writes its state and the events it owes in one document too, but
publishes them itself before it takes the next event of the partition (their order is
the routing order); lossy signals (typing, presence of readers) never owe anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from cc_common.events import Publish, Publisher, utc_now
from cc_common.events.owed import ERROR, EVENTS, PENDING, QUARANTINED, SINCE, TRIES, Owed, owed_in
from cc_common.kafka.producer import BrokerUnavailable, EventRefused
from cc_common.logging import get_logger
from cc_common.metrics import OUTBOX_BEHIND, OUTBOX_QUARANTINED
from cc_common.mongo import Document, IndexSpec
from cc_common.supervision import Periodic

log = get_logger(__name__)

MAX_TRIES = 5
"""Failed tries (other than broker outages) before a document is quarantined."""

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
"""The ``since`` of documents that owe events but predate it: due at once."""


def outbox_index(collection: str) -> IndexSpec:
    """The index the relay's search walks (sparse: only documents that owe have it)."""
    return IndexSpec(collection, [(PENDING, 1), (SINCE, 1)], "outbox_due", options={"sparse": True})


class OutboxStore(Protocol):
    """Documents of one kind that may owe events."""

    name: str

    async def due(self, older_than: datetime, limit: int) -> list[Document]: ...

    def owed(self, doc: Mapping[str, Any]) -> list[Owed]: ...

    async def sent(self, doc_id: Any) -> None: ...

    async def attempt_failed(self, doc_id: Any, reason: str) -> int: ...

    async def quarantined(self, doc_id: Any, reason: str, at: datetime) -> None: ...


class MongoOutbox:
    """The outbox fields of one collection's documents."""

    older_fields: tuple[str, ...] = ()
    """Where an earlier layout kept owed events: read by :meth:`owed`, cleared when sent."""

    def __init__(self, collection: AsyncCollection[Document], *, name: str) -> None:
        self._collection = collection
        self.name = name

    async def due(self, older_than: datetime, limit: int) -> list[Document]:
        """Documents still owing events written before ``older_than``, oldest first."""
        cursor = (
            self._collection.find(
                {PENDING: True, SINCE: {"$lt": older_than}},
                projection=dict.fromkeys((EVENTS, PENDING, *self.older_fields), 1),
            )
            .sort(SINCE, 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    def owed(self, doc: Mapping[str, Any]) -> list[Owed]:
        return owed_in(doc)

    async def sent(self, doc_id: Any) -> None:
        """The events are published: the document no longer owes (nor keeps) them."""
        await self._collection.update_one(
            {"_id": doc_id},
            {"$unset": dict.fromkeys((PENDING, EVENTS, SINCE, *self.older_fields), "")},
        )

    async def attempt_failed(self, doc_id: Any, reason: str) -> int:
        """Count a failed try at publishing the document's events; return the tries."""
        updated = await self._collection.find_one_and_update(
            {"_id": doc_id},
            {"$inc": {TRIES: 1}, "$set": {ERROR: reason[:1000]}},
            projection={TRIES: 1},
            return_document=ReturnDocument.AFTER,
        )
        return int(updated[TRIES]) if updated else 0

    async def quarantined(self, doc_id: Any, reason: str, at: datetime) -> None:
        """Stop publishing the document's events, keeping them and why."""
        await self._collection.update_one(
            {"_id": doc_id},
            {"$unset": {PENDING: ""}, "$set": {QUARANTINED: {"reason": reason[:1000], "at": at}}},
        )


async def publish_owed(publish: Publish, owed: Sequence[Owed]) -> bool:
    """Publish, in order, what a document just written owes; the caller then marks it
    sent. False: the broker is down, and the relay publishes them later. A refusal for
    what the events are raises :class:`EventRefused` (the relay quarantines the document).
    """
    try:
        for item in owed:
            await publish(item.topic, item.event)
    except BrokerUnavailable:
        log.warning("outbox.deferred", events=[str(item.event.id) for item in owed])
        return False
    return True


class OutboxRelay(Periodic):
    """Publishes what documents of every store still owe after ``grace_seconds``."""

    name = "outbox"

    def __init__(
        self,
        *,
        stores: Sequence[OutboxStore],
        producer: Publisher,
        interval_seconds: float = 2.0,
        grace_seconds: float = 5.0,
        page: int = 100,
    ) -> None:
        super().__init__(interval_seconds)
        self._stores = stores
        self._producer = producer
        self._grace = timedelta(seconds=grace_seconds)
        self._page = page

    async def round(self) -> int:
        return await self.relay_once()

    async def relay_once(self) -> int:
        """One page of due documents from each store; return how many were published."""
        relayed = 0
        for store in self._stores:
            relayed += await self._relay(store)
        return relayed

    async def _relay(self, store: OutboxStore) -> int:
        due = await store.due(utc_now() - self._grace, self._page)
        behind = OUTBOX_BEHIND.labels(store.name)
        behind.set(len(due))
        relayed = 0
        for doc in due:
            try:
                for item in store.owed(doc):
                    await self._producer.publish(item.topic, item.event)
            except BrokerUnavailable:
                raise  # an outage: the next round tries again, and it is not counted
            except EventRefused as exc:
                await _quarantine(store, doc["_id"], str(exc))
                continue
            except Exception as exc:
                tries = await store.attempt_failed(doc["_id"], repr(exc))
                log.warning(
                    "outbox.relay_failed",
                    outbox=store.name,
                    doc_id=str(doc["_id"]),
                    tries=tries,
                    error=repr(exc),
                )
                if tries >= MAX_TRIES:
                    await _quarantine(store, doc["_id"], f"{tries} tries failed: {exc!r}")
                continue
            await store.sent(doc["_id"])
            relayed += 1
            behind.dec()
        if relayed:
            log.info("outbox.relayed", outbox=store.name, count=relayed)
        return relayed


async def _quarantine(store: OutboxStore, doc_id: Any, reason: str) -> None:
    """Set a poison document aside (kept, with why) so the documents after it go on."""
    log.error("outbox.quarantined", outbox=store.name, doc_id=str(doc_id), reason=reason)
    await store.quarantined(doc_id, reason, utc_now())
    OUTBOX_QUARANTINED.labels(store.name).inc()
