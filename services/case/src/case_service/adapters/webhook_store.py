"""Webhook subscriptions and their deliveries in MongoDB.

A delivery is one POST: one event, or up to the subscription's ``batch_max`` of them.
It is stored before it is attempted (the fan-out consumer commits only after), so an
event a subscription wants is never lost: it is delivered, or marked failed after a
day of retries, and can be redriven. Senders lease a delivery before attempting it, so
several processes never send one twice at once.

The database's work is per stored document (about a millisecond each to write on the
embedded one), so a subscription that takes batches costs two writes per POST, not per
event; and what this process stores while its sender has room is stored leased to that
sender and handed over in memory, with no lease or read of its own.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from case_service.domain.webhooks import LEASE, Settlement, in_posts
from cc_common.mongo import Document, IndexSpec
from cc_common.supervision import Doorbell

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
FRESH_EVENTS = 5_000
"""Events in deliveries stored leased to this process's sender and held for it in memory; beyond
them a delivery is stored pending and found by the sender's scan (SecantusDB reads every
document a range matches, so the scan costs the whole backlog: it is the slow path)."""
_NAMESPACE = uuid.UUID("3d7e9b1a-6c2f-4e8d-9a5b-1f0c7e2d4b86")
DUPLICATE_KEY = 11000

INDEXES = (
    IndexSpec(SUBSCRIPTIONS, [("tenant_id", 1)], "by_tenant"),
    IndexSpec(DELIVERIES, [("status", 1), ("next_attempt_at", 1)], "due"),
    IndexSpec(DELIVERIES, [("subscription_id", 1), ("event_ids", 1)], "by_event"),
    IndexSpec(DELIVERIES, [("tenant_id", 1), ("subscription_id", 1), ("created_at", -1)], "by_sub"),
)
RETIRED_INDEXES = ((DELIVERIES, "by_lease"),)
"""A lease is read back by id now: the index only cost every write."""

Subscription = dict[str, Any]
Event = dict[str, Any]


def delivery_id(subscription_id: str, event_id: str) -> str:
    """A delivery's id, from its subscription and its first event (each event is in one
    delivery per subscription, so the first event names it)."""
    return str(uuid.uuid5(_NAMESPACE, f"{subscription_id}\x1f{event_id}"))


class WebhookRepository:
    """``doorbell`` is rung whenever a delivery is stored, redriven or given a retry time,
    so this process's sender looks again at once instead of at its next look."""

    def __init__(self, db: AsyncDatabase[Document], doorbell: Doorbell | None = None) -> None:
        self._subscriptions = db[SUBSCRIPTIONS]
        self._deliveries = db[DELIVERIES]
        self.doorbell = doorbell or Doorbell()
        self._own_lease = uuid.uuid4().hex
        """The lease this process's sender holds on what this process stored for it."""
        self._fresh: deque[dict[str, Any]] = deque()
        self._fresh_events = 0

    async def subscribe(self, doc: dict[str, Any]) -> None:
        await self._subscriptions.insert_one(doc)

    async def subscription(self, tenant_id: str, sub_id: str) -> dict[str, Any] | None:
        return await self._subscriptions.find_one({"_id": sub_id, "tenant_id": tenant_id})

    async def subscriptions(self, tenant_id: str) -> list[dict[str, Any]]:
        return [doc async for doc in self._subscriptions.find({"tenant_id": tenant_id})]

    async def update_subscription(
        self, tenant_id: str, sub_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await self._subscriptions.find_one_and_update(
            {"_id": sub_id, "tenant_id": tenant_id},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )

    async def unsubscribe(self, tenant_id: str, sub_id: str) -> bool:
        result = await self._subscriptions.delete_one({"_id": sub_id, "tenant_id": tenant_id})
        return result.deleted_count > 0

    async def enqueue_many(
        self, owed: Iterable[tuple[Subscription, Sequence[Event]]], at: datetime
    ) -> None:
        """Store the deliveries of each subscription's events, in order and up to its
        ``batch_max`` events each, with one bulk insert. Idempotent: an event already in a
        delivery of that subscription (a replayed batch) is left out."""
        docs: list[dict[str, Any]] = []
        for subscription, events in owed:
            fresh = await self._not_stored(subscription["_id"], events)
            for post in in_posts(fresh, int(subscription.get("batch_max") or 1)):
                docs.append(_delivery(subscription, post, at))
        if not docs:
            return
        handed = []
        room = FRESH_EVENTS - self._fresh_events
        for doc in docs:  # leased to this process's sender: no lease write of its own
            room -= len(doc["events"])
            if room < 0:
                break
            doc.update(status="sending", lease=self._own_lease, next_attempt_at=at + LEASE)
            handed.append(doc)
        refused = await self._insert_new(docs)
        for doc in handed:
            if doc["_id"] not in refused:
                self._fresh.append(doc)
                self._fresh_events += len(doc["events"])
        self.doorbell.ring()

    async def _not_stored(self, subscription_id: str, events: Sequence[Event]) -> list[Event]:
        ids = [event["id"] for event in events]
        stored = self._deliveries.find(
            {"subscription_id": subscription_id, "event_ids": {"$in": ids}},
            projection={"event_ids": 1},
        )
        known = {event_id async for doc in stored for event_id in doc["event_ids"]}
        fresh = []
        for event in events:  # an event published twice can come twice in one batch
            if event["id"] not in known:
                known.add(event["id"])
                fresh.append(event)
        return fresh

    async def _insert_new(self, docs: list[dict[str, Any]]) -> set[str]:
        """Insert each; the ids of those already stored (a replay racing a replay)."""
        try:
            await self._deliveries.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            return {docs[error["index"]]["_id"] for error in errors}
        return set()

    async def claim_fresh(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` of the deliveries this process stored leased to its sender
        (from memory: they were written leased)."""
        del now
        taken = [self._fresh.popleft() for _ in range(min(limit, len(self._fresh)))]
        self._fresh_events -= sum(len(doc["events"]) for doc in taken)
        return taken

    async def claim_many(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Lease up to ``limit`` due deliveries (pending and due, or a sender's lease
        lapsed), oldest due first: three commands however many, and a delivery another
        sender leased in between is left to it."""
        due_filter = {"status": {"$in": ["pending", "sending"]}, "next_attempt_at": {"$lte": now}}
        cursor = self._deliveries.find(due_filter, projection={"_id": 1})
        due = [doc["_id"] async for doc in cursor.sort("next_attempt_at", 1).limit(limit)]
        if not due:
            return []
        return await self._lease({**due_filter, "_id": {"$in": due}}, now)

    async def _lease(self, which: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        """Lease what ``which`` matches now; what another sender leased first is its."""
        lease = uuid.uuid4().hex
        await self._deliveries.update_many(
            which, {"$set": {"status": "sending", "next_attempt_at": now + LEASE, "lease": lease}}
        )
        leased = self._deliveries.find({"_id": which["_id"], "lease": lease})
        return [dict(doc) async for doc in leased]

    async def backlog(self, now: datetime) -> tuple[int, datetime | None]:
        """How many deliveries are due and waiting, and since when the oldest is."""
        due = {"status": "pending", "next_attempt_at": {"$lte": now}}
        count = await self._deliveries.count_documents(due)
        oldest = await self._deliveries.find_one(
            due, projection={"next_attempt_at": 1}, sort=[("next_attempt_at", 1)]
        )
        return count, oldest["next_attempt_at"] if oldest else None

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery (or expiring lease) falls due; None if none."""
        soonest = None
        for status in ("pending", "sending"):
            found = await self._deliveries.find_one(
                {"status": status, "next_attempt_at": {"$exists": True}},
                projection={"next_attempt_at": 1},
                sort=[("next_attempt_at", 1)],
            )
            if found is not None and (soonest is None or found["next_attempt_at"] < soonest):
                soonest = found["next_attempt_at"]
        return soonest

    async def settle_many(self, settlements: list[Settlement]) -> None:
        """Log each attempt and its outcome, with one bulk write."""
        if not settlements:
            return
        await self._deliveries.bulk_write(
            [
                UpdateOne({"_id": s.delivery_id, "status": "sending"}, _settled(s))
                for s in settlements
            ],
            ordered=False,
        )
        if any(s.next_attempt_at is not None for s in settlements):
            self.doorbell.ring()  # the sender rests until a retry is due, not longer

    async def deliveries(
        self, tenant_id: str, sub_id: str, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"tenant_id": tenant_id, "subscription_id": sub_id}
        if status:
            query["status"] = status
        cursor = self._deliveries.find(query, projection={"event": 0, "events": 0})
        cursor = cursor.sort("created_at", -1)
        return [doc async for doc in cursor.limit(limit)]

    async def redrive(self, tenant_id: str, delivery_id: str, now: datetime) -> bool:
        """Send a failed (or still pending) delivery again now, with a fresh day of retries."""
        result = await self._deliveries.update_one(
            {"_id": delivery_id, "tenant_id": tenant_id, "status": {"$in": ["failed", "pending"]}},
            {"$set": {"status": "pending", "next_attempt_at": now, "retrying_since": now}},
        )
        if result.matched_count:
            self.doorbell.ring()
        return result.matched_count > 0


def _settled(settlement: Settlement) -> dict[str, Any]:
    update: dict[str, Any] = {
        "$push": {"attempts": settlement.attempt},
        "$set": {"status": settlement.status},
    }
    if settlement.next_attempt_at is not None:
        update["$set"]["next_attempt_at"] = settlement.next_attempt_at
    else:
        update["$unset"] = {"next_attempt_at": ""}
    return update


def _delivery(subscription: Subscription, events: Sequence[Event], at: datetime) -> dict[str, Any]:
    """A pending delivery of ``events`` (one POST) to ``subscription``."""
    doc: dict[str, Any] = {
        "_id": delivery_id(subscription["_id"], events[0]["id"]),
        "tenant_id": subscription["tenant_id"],
        "subscription_id": subscription["_id"],
        "events": list(events),
        "event_ids": [event["id"] for event in events],
        "status": "pending",
        "created_at": at,
        "retrying_since": at,
        "next_attempt_at": at,
        "attempts": [],
    }
    if len(events) == 1:
        doc["event_id"], doc["event_type"] = events[0]["id"], events[0]["type"]
    return doc
