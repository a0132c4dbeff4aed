"""Webhook subscriptions and their deliveries in MongoDB.

A delivery is stored before it is attempted (the fan-out consumer commits only
after), so an event a subscription wants is never lost: it is delivered, or marked
failed after a day of retries, and can be redriven. Senders lease a delivery before
attempting it, so several processes never send one twice at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cc_common.mongo import Document, IndexSpec
from cc_common.supervision import Doorbell

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
LEASE = timedelta(seconds=60)
_NAMESPACE = uuid.UUID("3d7e9b1a-6c2f-4e8d-9a5b-1f0c7e2d4b86")

INDEXES = (
    IndexSpec(SUBSCRIPTIONS, [("tenant_id", 1)], "by_tenant"),
    IndexSpec(DELIVERIES, [("status", 1), ("next_attempt_at", 1)], "due"),
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

    async def enqueue(
        self, subscription: dict[str, Any], event: dict[str, Any], at: datetime
    ) -> None:
        """Store a pending delivery of ``event`` (idempotent per subscription and event)."""
        await self._deliveries.update_one(
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
        self.doorbell.ring()

    async def claim(self, now: datetime) -> dict[str, Any] | None:
        """Lease the next due delivery (pending and due, or a sender's lease expired)."""
        for status in ("pending", "sending"):
            claimed = await self._deliveries.find_one_and_update(
                {"status": status, "next_attempt_at": {"$lte": now}},
                {"$set": {"status": "sending", "next_attempt_at": now + LEASE}},
                sort=[("next_attempt_at", 1)],
                return_document=ReturnDocument.AFTER,
            )
            if claimed is not None:
                return dict(claimed)
        return None

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

    async def settle(
        self,
        delivery_id: str,
        *,
        attempt: dict[str, Any],
        status: str,
        next_attempt_at: datetime | None,
    ) -> None:
        """Log an attempt; the delivery is then delivered, pending (tried again at
        ``next_attempt_at``) or failed."""
        update: dict[str, Any] = {"$push": {"attempts": attempt}, "$set": {"status": status}}
        if next_attempt_at is not None:
            update["$set"]["next_attempt_at"] = next_attempt_at
        else:
            update["$unset"] = {"next_attempt_at": ""}
        await self._deliveries.update_one({"_id": delivery_id, "status": "sending"}, update)
        if next_attempt_at is not None:
            self.doorbell.ring()  # the sender rests until this retry is due, not longer

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
