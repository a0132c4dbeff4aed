"""Calls placed for agents' callback requests, by reply id, so a request delivered again
(its announcement failed, the process died after Twilio took it) is announced again
with the same call instead of ringing the customer a second time: Twilio's Calls API
takes no idempotency key."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.events import utc_now
from cc_common.mongo import Document, IndexSpec

PLACED_CALLS = "placed_calls"
KEPT_SECONDS = 30 * 24 * 3600
INDEXES = (
    IndexSpec(PLACED_CALLS, [("at", 1)], "expiry", options={"expireAfterSeconds": KEPT_SECONDS}),
)


class PlacedCalls:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._placed = db[PLACED_CALLS]

    async def find(self, reply_id: str) -> str | None:
        """The call sid placed for this request, if one was."""
        doc = await self._placed.find_one({"_id": reply_id})
        return str(doc["call_sid"]) if doc else None

    async def record(self, reply_id: str, call_sid: str) -> None:
        await self._placed.update_one(
            {"_id": reply_id},
            {"$setOnInsert": {"call_sid": call_sid, "at": utc_now()}},
            upsert=True,
        )
