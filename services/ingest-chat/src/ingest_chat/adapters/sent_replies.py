"""Replies a provider has accepted, by reply id, so a request delivered again (its
announcement failed, the process died after the send) is announced again without
sending the customer the message a second time. Only LINE takes a retry key itself;
Meta, Telegram and Twilio would send twice."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.events import utc_now
from cc_common.mongo import Document, IndexSpec
from ingest_chat.adapters.line_api import Sent

SENT_REPLIES = "sent_replies"
KEPT_SECONDS = 30 * 24 * 3600
INDEXES = (
    IndexSpec(SENT_REPLIES, [("at", 1)], "expiry", options={"expireAfterSeconds": KEPT_SECONDS}),
)


class SentReplies:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._sent = db[SENT_REPLIES]

    async def find(self, reply_id: str) -> Sent | None:
        doc = await self._sent.find_one({"_id": reply_id})
        return Sent(message_id=doc.get("message_id"), via=doc["via"]) if doc else None

    async def record(self, reply_id: str, sent: Sent) -> None:
        await self._sent.update_one(
            {"_id": reply_id},
            {"$setOnInsert": {"message_id": sent.message_id, "via": sent.via, "at": utc_now()}},
            upsert=True,
        )
