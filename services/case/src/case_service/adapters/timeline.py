"""Timeline entries in MongoDB: one document per entry, indexed by customer and time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.customers import CUSTOMERS
from case_service.adapters.entries_outbox import LEGACY_OWED, EntriesOutbox
from case_service.adapters.time_windows import TimeWindows
from case_service.domain.model import TimelineEntry
from case_service.domain.replies import AWAITING_APPROVAL, HELD
from cc_common.events import utc_now
from cc_common.events.owed import EVENTS, PENDING, SINCE
from cc_common.mongo import Document, IndexSpec
from cc_common.outbox import outbox_index

ENTRIES = "timeline"
EARLY_RECEIPTS = "early_receipts"
"""Delivery/read receipts that arrived before the reply they are about was confirmed
sent (another process publishes each); applied when it is, dropped after a week."""
EARLY_RECEIPT_SECONDS = 7 * 24 * 3600
_STATUS_WORD = re.compile(r"[a-z_]{1,20}")
_NOT_SERVED = ("grams", "search_text", EVENTS, HELD, *LEGACY_OWED)
"""Fields a timeline page never shows: search index terms and the outbox copies of the
events an entry owes (a reply's request, an API change's announcement).
Dropped here, not by a projection: SecantusDB copies each document to project it
(measured: 204 entries in 29 ms with the projection, 21.5 ms without)."""

INDEXES = (
    IndexSpec(
        ENTRIES,
        [("tenant_id", 1), ("customer_id", 1), ("occurred_at", -1), ("order", -1), ("_id", -1)],
        "by_customer_time",
    ),
    IndexSpec(
        ENTRIES,
        [("tenant_id", 1), ("case_id", 1), ("occurred_at", -1), ("order", -1), ("_id", -1)],
        "by_case_time",
    ),
    IndexSpec(ENTRIES, [("tenant_id", 1), ("interaction_id", 1)], "by_interaction"),
    IndexSpec(ENTRIES, [("tenant_id", 1), ("grams", 1), ("occurred_at", -1)], "search_by_time"),
    IndexSpec(ENTRIES, [("tenant_id", 1), ("call_event_ids", 1)], "by_call_event"),
    outbox_index(ENTRIES),
    IndexSpec(
        ENTRIES,
        [("tenant_id", 1), ("reply.provider_message_id", 1)],
        "by_sent_message",
        options={"sparse": True},
    ),
    IndexSpec(
        ENTRIES,
        [("tenant_id", 1), ("reply.status", 1)],
        "by_reply_status",
        options={"sparse": True},
    ),
    IndexSpec(EARLY_RECEIPTS, [("tenant_id", 1), ("provider_message_id", 1)], "by_message"),
    IndexSpec(
        EARLY_RECEIPTS,
        [("received_at", 1)],
        "expiry",
        options={"expireAfterSeconds": EARLY_RECEIPT_SECONDS},
    ),
)


RETIRED_INDEXES = ((ENTRIES, "search"), (ENTRIES, "outbox"))
"""Indexes earlier releases created that nothing reads now (dropped at startup)."""


class TimelineRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._entries = db[ENTRIES]
        self._early_receipts = db[EARLY_RECEIPTS]
        self._customers = db[CUSTOMERS]
        self.outbox = EntriesOutbox(self._entries)

    async def cases_of_interactions(
        self, tenant_id: str, interaction_ids: list[str]
    ) -> dict[str, tuple[str, str | None]]:
        """interaction id -> (customer id, case id) where those interactions are stored."""
        found: dict[str, tuple[str, str | None]] = {}
        cursor = self._entries.find(
            {"tenant_id": tenant_id, "interaction_id": {"$in": interaction_ids}},
            projection={"interaction_id": 1, "customer_id": 1, "case_id": 1},
        )
        async for doc in cursor:
            found.setdefault(doc["interaction_id"], (doc["customer_id"], doc.get("case_id")))
        return found

    async def add(self, entry: dict[str, Any]) -> None:
        """Store an entry; storing the same event again changes nothing."""
        fields = {k: v for k, v in entry.items() if k != "_id"}
        await self._entries.update_one({"_id": entry["_id"]}, {"$setOnInsert": fields}, upsert=True)

    async def adopt_pending(
        self, tenant_id: str, interaction_id: str, *, customer_id: str, case_id: str
    ) -> None:
        """Give waiting entries of an interaction their customer and case.

        The lookup uses the interaction index alone: a ``customer_id: None`` term in
        the filter makes SecantusDB scan the collection (measured: 1.5 ms against
        140 ms at 2,000 entries), and nearly always nothing is waiting.
        """
        waiting = [
            doc["_id"]
            async for doc in self._entries.find(
                {"tenant_id": tenant_id, "interaction_id": interaction_id},
                projection={"customer_id": 1},
            )
            if doc.get("customer_id") is None
        ]
        if waiting:
            await self._entries.update_many(
                {"_id": {"$in": waiting}},
                {"$set": {"customer_id": customer_id, "case_id": case_id}},
            )

    async def owner_of(self, tenant_id: str, entry_id: str) -> tuple[str, str] | None:
        """(customer_id, case_id) of a stored entry (or call event), or None if not stored yet."""
        # Two indexed lookups: an $or here makes SecantusDB scan (~100 ms at 3,000 entries).
        projection = {"customer_id": 1, "case_id": 1}
        doc = await self._entries.find_one(
            {"_id": entry_id, "tenant_id": tenant_id}, projection=projection
        ) or await self._entries.find_one(
            {"tenant_id": tenant_id, "call_event_ids": entry_id}, projection=projection
        )
        return (doc["customer_id"], doc["case_id"]) if doc else None

    async def get(self, tenant_id: str, entry_id: str) -> dict[str, Any] | None:
        """One entry of the tenant."""
        return await self._entries.find_one({"_id": entry_id, "tenant_id": tenant_id})

    async def put(self, entry: dict[str, Any]) -> None:
        """Store an entry whole (a call record, rewritten as its events arrive)."""
        await self._entries.replace_one({"_id": entry["_id"]}, entry, upsert=True)

    async def flag(self, entry_id: str, field: str) -> None:
        """Set a boolean field on an entry."""
        await self._entries.update_one({"_id": entry_id}, {"$set": {field: True}})

    async def create_reply(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Store a pending reply, or return the one already stored under its id."""
        fields = {k: v for k, v in entry.items() if k != "_id"}
        stored = await self._entries.find_one_and_update(
            {"_id": entry["_id"]},
            {"$setOnInsert": fields},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert stored is not None  # upserted
        return dict(stored)

    async def replies_awaiting_approval(self, tenant_id: str) -> list[dict[str, Any]]:
        cursor = self._entries.find(
            {"tenant_id": tenant_id, "reply.status": AWAITING_APPROVAL}
        ).sort("occurred_at", 1)
        return [doc async for doc in cursor]

    async def decide_reply(
        self, tenant_id: str, reply_id: str, *, decision: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None:
        """Approve (the held channel request joins the outbox) or reject a reply that
        awaits approval; None if no such reply awaits it (decided already, or unknown)."""
        held = await self._entries.find_one(
            {"_id": reply_id, "tenant_id": tenant_id, "reply.status": AWAITING_APPROVAL}
        )
        if held is None:
            return None
        if decision["state"] == "approved":
            change: dict[str, Any] = {
                "$set": {
                    "reply.status": "pending",
                    "reply.approval": decision,
                    EVENTS: held.get(HELD, []),
                    PENDING: True,
                    SINCE: at,
                },
                "$unset": {HELD: ""},
            }
        else:
            reason = f"rejected by {decision['by']}: {decision['reason'] or 'no reason given'}"
            change = {
                "$set": {
                    "reply.status": "failed",
                    "reply.approval": decision,
                    "reply.error": {"reason": reason, "status": "failed", "at": at},
                },
                "$unset": {HELD: ""},
            }
        return await self._entries.find_one_and_update(
            {"_id": reply_id, "tenant_id": tenant_id, "reply.status": AWAITING_APPROVAL},
            change,
            return_document=ReturnDocument.AFTER,
        )

    async def settle_reply(
        self, tenant_id: str, reply_id: str, *, status: str, details: dict[str, Any]
    ) -> bool:
        """Mark a reply sent or failed; False when no such reply is stored."""
        updates = {"reply.status": status, **{f"reply.{k}": v for k, v in details.items()}}
        sent_as = details.get("provider_message_id")
        if sent_as:
            receipts = self._early_receipts.find(
                {"tenant_id": tenant_id, "provider_message_id": sent_as}
            )
            async for receipt in receipts:
                updates[f"reply.delivery.{receipt['field']}"] = receipt["at"]
                if receipt.get("error"):
                    updates["reply.delivery_error"] = receipt["error"]
        result = await self._entries.update_one(
            {"_id": reply_id, "tenant_id": tenant_id, "entry_type": "reply"},
            {"$set": updates},
        )
        return result.matched_count > 0

    async def note_delivery(
        self,
        tenant_id: str,
        provider_message_id: str,
        *,
        status: str,
        at: datetime,
        error: dict[str, str] | None = None,
    ) -> None:
        """Record a delivery or read receipt on the reply it is about (if it is ours);
        a failure keeps the provider's error code and reason."""
        # The status names a field: only plain words from a provider may do that.
        field = status if _STATUS_WORD.fullmatch(status) else "other"
        updates: dict[str, Any] = {f"reply.delivery.{field}": at}
        if error:
            updates["reply.delivery_error"] = {**error, "status": field, "at": at}
        result = await self._entries.update_one(
            {"tenant_id": tenant_id, "reply.provider_message_id": provider_message_id},
            {"$set": updates},
        )
        if result.matched_count == 0:
            # Perhaps ahead of the reply's confirmation: kept until it comes (a week).
            await self._early_receipts.update_one(
                {"_id": f"{tenant_id}\x1f{provider_message_id}\x1f{field}"},
                {
                    "$setOnInsert": {
                        "tenant_id": tenant_id,
                        "provider_message_id": provider_message_id,
                        "field": field,
                        "at": at,
                        "error": {**error, "status": field, "at": at} if error else None,
                        "received_at": utc_now(),
                    }
                },
                upsert=True,
            )

    async def outbox_sent(self, entry_id: str) -> None:
        await self.outbox.sent(entry_id)

    async def page(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: tuple[datetime, int, str] | None,
        window_ms: int | None = None,
        customer_id: str | None = None,
        case_id: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
    ) -> list[TimelineEntry]:
        """Up to ``limit`` entries of a customer or a case, newest first, after the cursor.

        A ``kind`` ending in a dot (``case.``, ``task.``) matches every kind it begins.
        Read in time windows walked backwards (see ``TimeWindows``), so a page costs
        about what it returns, not the whole history behind it.
        """
        if customer_id is None and case_id is None:
            raise ValueError("a timeline page needs a customer or a case")
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if customer_id:
            query["customer_id"] = customer_id
        if case_id:
            query["case_id"] = case_id
        if channel:
            query["channel"] = channel
        if kind:
            query["kind"] = {"$regex": "^" + re.escape(kind)} if kind.endswith(".") else kind
        first = timedelta(milliseconds=window_ms) if window_ms else None
        now = utc_now()
        if after is None and customer_id and not case_id:
            now, first = await self._newest_contacts(tenant_id, customer_id, limit, now)
        windows = TimeWindows(after[0] if after else None, first, now)
        page: list[dict[str, Any]] = []
        while len(page) < limit and (time_range := windows.next(len(page), limit)) is not None:
            cursor = self._entries.find({**query, "occurred_at": time_range}).sort(_NEWEST_FIRST)
            async for doc in cursor:
                if after is not None and _position(doc) >= after:
                    continue  # the cursor's own entry, or one before it in the same instant
                page.append(doc)
        return [entry_from_document(doc) for doc in page[:limit]]

    async def _newest_contacts(
        self, tenant_id: str, customer_id: str, limit: int, now: datetime
    ) -> tuple[datetime, timedelta | None]:
        """Where a customer's first page starts looking, and how far back: from their
        last contact, over the time ``limit`` contacts take at their average pace
        (contacts counted since they were first seen). Without it a first page widens
        from a millisecond, about ten probes for a customer seen weekly."""
        doc = await self._customers.find_one(
            {"_id": customer_id, "tenant_id": tenant_id},
            projection={"created_at": 1, "last_seen_at": 1, "contacts": 1},
        )
        if not doc or not doc.get("contacts") or not doc.get("last_seen_at"):
            return now, None
        lifetime = max(doc["last_seen_at"] - doc.get("created_at", doc["last_seen_at"]), _SECOND)
        return min(doc["last_seen_at"], now), lifetime / doc["contacts"] * limit


_SECOND = timedelta(seconds=1)
_NEWEST_FIRST = [("occurred_at", -1), ("order", -1), ("_id", -1)]


def entry_from_document(doc: dict[str, Any]) -> TimelineEntry:
    served = {k: v for k, v in doc.items() if k not in _NOT_SERVED}
    return TimelineEntry.model_validate({**served, "id": doc["_id"]})


def _position(doc: dict[str, Any]) -> tuple[datetime, int, str]:
    return doc["occurred_at"], doc.get("order", 0), doc["_id"]
