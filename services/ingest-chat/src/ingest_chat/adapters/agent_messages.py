"""Agents' web-chat messages in MongoDB, numbered per conversation for resume.

A visitor who reconnects asks for everything after the last sequence number it
saw; nothing is lost while it was away and nothing is shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_common.events import utc_now
from cc_common.mongo import Document, IndexSpec
from ingest_chat.domain.webchat_wire import AgentMessage

MESSAGES = "webchat_agent_messages"
COUNTERS = "webchat_conversations"
INDEXES = (
    IndexSpec(MESSAGES, [("tenant_id", 1), ("conversation_id", 1), ("seq", 1)], "by_conversation"),
    IndexSpec(MESSAGES, [("seen_at", 1), ("fallback_at", 1), ("at", 1)], "unseen"),
)


@dataclass(frozen=True, slots=True)
class Visitor:
    """What a visitor told us when starting the conversation (for the email fallback)."""

    email: str | None
    name: str | None


class AgentMessages:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._messages = db[MESSAGES]
        self._counters = db[COUNTERS]

    async def store(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        reply_id: str,
        text: str,
        agent: str,
        at: datetime,
    ) -> AgentMessage:
        """Keep a reply for the visitor (the same reply id keeps its first number)."""
        existing = await self._messages.find_one({"_id": reply_id, "tenant_id": tenant_id})
        if existing is not None:
            return _message(existing)
        counter = await self._counters.find_one_and_update(
            {"_id": f"{tenant_id}|{conversation_id}"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        doc = {
            "_id": reply_id,
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "seq": int(counter["seq"]) if counter else 1,
            "text": text,
            "agent": agent,
            "at": at,
            "seen_at": None,
            "fallback_at": None,
        }
        try:
            await self._messages.insert_one(doc)
        except DuplicateKeyError:
            stored = await self._messages.find_one({"_id": reply_id})
            return _message(stored or doc)
        return _message(doc)

    async def since(
        self, tenant_id: str, conversation_id: str, after_seq: int, limit: int = 200
    ) -> list[AgentMessage]:
        """The conversation's agent messages after ``after_seq``, in order."""
        cursor = (
            self._messages.find(
                {
                    "tenant_id": tenant_id,
                    "conversation_id": conversation_id,
                    "seq": {"$gt": after_seq},
                }
            )
            .sort("seq", 1)
            .limit(limit)
        )
        return [_message(doc) async for doc in cursor]

    async def remember_visitor(
        self, tenant_id: str, conversation_id: str, *, email: str | None, name: str | None
    ) -> None:
        """Keep what the visitor gave at the start (the conversation's counter document)."""
        await self._counters.update_one(
            {"_id": f"{tenant_id}|{conversation_id}"},
            {"$set": {"email": email, "name": name}},
            upsert=True,
        )

    async def visitor(self, tenant_id: str, conversation_id: str) -> Visitor:
        doc = await self._counters.find_one({"_id": f"{tenant_id}|{conversation_id}"})
        return Visitor(email=(doc or {}).get("email"), name=(doc or {}).get("name"))

    async def mark_seen(self, tenant_id: str, conversation_id: str, up_to_seq: int) -> None:
        """The visitor has had every message up to ``up_to_seq`` (live, resumed, fetched)."""
        await self._messages.update_many(
            {
                "tenant_id": tenant_id,
                "conversation_id": conversation_id,
                "seq": {"$lte": up_to_seq},
                "seen_at": None,
            },
            {"$set": {"seen_at": utc_now()}},
        )

    async def mark_read(self, tenant_id: str, conversation_id: str, reply_id: str) -> bool:
        """A read receipt for a message of this conversation; True the first time only
        (a receipt for another conversation's message, or a repeated one, is ignored)."""
        now = utc_now()
        result = await self._messages.update_one(
            {
                "_id": reply_id,
                "tenant_id": tenant_id,
                "conversation_id": conversation_id,
                "read_at": None,
            },
            {"$set": {"read_at": now}},
        )
        if not result.modified_count:
            return False
        # Read implies seen (no email fallback for it).
        await self._messages.update_one(
            {"_id": reply_id, "seen_at": None}, {"$set": {"seen_at": now}}
        )
        return True

    async def unseen_since_before(
        self, cutoff: datetime, limit: int = 500
    ) -> list[tuple[str, str, AgentMessage]]:
        """(tenant, conversation, message) no visitor has seen, stored before ``cutoff``,
        not yet handled by the email fallback."""
        cursor = self._messages.find(
            {"seen_at": None, "fallback_at": None, "at": {"$lt": cutoff}}
        ).limit(limit)
        return [(d["tenant_id"], d["conversation_id"], _message(d)) async for d in cursor]

    async def claim_fallback(self, reply_id: str, outcome: str) -> bool:
        """Mark a message handled by the fallback (``outcome``: emailed, or why not);
        False when another instance was first."""
        result = await self._messages.update_one(
            {"_id": reply_id, "fallback_at": None},
            {"$set": {"fallback_at": utc_now(), "fallback": outcome}},
        )
        return result.modified_count == 1

    async def release_fallback(self, reply_ids: list[str]) -> None:
        """Undo a claim whose email could not be requested (tried again next round)."""
        await self._messages.update_many(
            {"_id": {"$in": reply_ids}}, {"$set": {"fallback_at": None, "fallback": None}}
        )


def _message(doc: Document) -> AgentMessage:
    return AgentMessage(
        reply_id=str(doc["_id"]),
        seq=int(doc["seq"]),
        text=str(doc["text"]),
        agent=str(doc["agent"]),
        at=doc["at"],
    )
