"""Webhook subscriptions and their deliveries in MongoDB.

A delivery is stored before it is attempted (the fan-out consumer commits only
after), so an event a subscription wants is never lost: it is delivered, or marked
failed after a day of retries, and can be redriven. Senders lease a delivery before
attempting it, so several processes never send one twice at once.
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from case_service.domain.webhooks import LEASE, Settlement
from cc_common.mongo import Document, IndexSpec
from cc_common.supervision import Doorbell

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
FRESH_KEPT = 10_000
"""Ids of deliveries this process just stored, handed to its sender without a query
(SecantusDB reads every document a range matches, so a scan for due deliveries costs
the whole backlog); beyond it, the scan finds them."""
_NAMESPACE = uuid.UUID("3d7e9b1a-6c2f-4e8d-9a5b-1f0c7e2d4b86")

INDEXES = (
    IndexSpec(SUBSCRIPTIONS, [("tenant_id", 1)], "by_tenant"),
    IndexSpec(DELIVERIES, [("status", 1), ("next_attempt_at", 1)], "due"),
    IndexSpec(DELIVERIES, [("lease", 1)], "by_lease", options={"sparse": True}),
    IndexSpec(DELIVERIES, [("tenant_id", 1), ("subscription_id", 1), ("created_at", -1)], "by_sub"),
)


def delivery_id(subscription_id: str, event_id: str) -> str:
    """One delivery per subscription and event (a replayed event is not sent twice)."""
    return str(uuid.uuid5(_NAMESPACE, f"{subscription_id}\x1f{event_id}"))


class WebhookRepository:
    """``doorbell`` is rung whenever a delivery is stored, redriven or given a retry time,
    so this process's sender looks again at once instead of at its next look."""

    def __init__(self, db: AsyncDatabase[Document], doorbell: Doorbell | None = None) -> None:
        self._subscriptions = db[SUBSCRIPTIONS]
        self._deliveries = db[DELIVERIES]
        self.doorbell = doorbell or Doorbell()
        self._fresh: deque[str] = deque(maxlen=FRESH_KEPT)

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
        self, owed: list[tuple[dict[str, Any], dict[str, Any]]], at: datetime
    ) -> None:
        """Store a pending delivery of each (subscription, event), with one bulk write
        (idempotent per subscription and event: a replayed event is not stored twice)."""
        if not owed:
            return
        result = await self._deliveries.bulk_write(
            [
                UpdateOne(
                    {"_id": delivery_id(subscription["_id"], event["id"])},
                    {
                        "$setOnInsert": {
                            "tenant_id": subscription["tenant_id"],
                            "subscription_id": subscription["_id"],
                            "event_id": event["id"],
                            "event_type": event["type"],
                            "event": event,
                            "status": "pending",
                            "created_at": at,
                            "retrying_since": at,
                            "next_attempt_at": at,
                            "attempts": [],
                        }
                    },
                    upsert=True,
                )
                for subscription, event in owed
            ],
            ordered=False,
        )
        self._fresh.extend(str(i) for i in (result.upserted_ids or {}).values())
        self.doorbell.ring()

    async def claim_fresh(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Lease up to ``limit`` of the deliveries this process stored last (by id)."""
        ids = [self._fresh.popleft() for _ in range(min(limit, len(self._fresh)))]
        if not ids:
            return []
        return await self._lease({"_id": {"$in": ids}, "status": "pending"}, now)

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
        return [dict(doc) async for doc in self._deliveries.find({"lease": lease})]

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
        cursor = self._deliveries.find(query, projection={"event": 0}).sort("created_at", -1)
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
