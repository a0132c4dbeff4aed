"""Agents' web-chat messages in MongoDB, numbered per conversation for resume.

A visitor who reconnects asks for everything after the last sequence number it
saw; nothing is lost while it was away and nothing is shown twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_common.mongo import Document, IndexSpec

MESSAGES = "webchat_agent_messages"
COUNTERS = "webchat_conversations"
INDEXES = (
    IndexSpec(MESSAGES, [("tenant_id", 1), ("conversation_id", 1), ("seq", 1)], "by_conversation"),
)


@dataclass(frozen=True, slots=True)
class AgentMessage:
    reply_id: str
    seq: int
    text: str
    agent: str
    at: datetime

    def wire(self) -> dict[str, Any]:
        """The message as the widget receives it."""
        return {
            "type": "agent_message",
            "seq": self.seq,
            "reply_id": self.reply_id,
            "text": self.text,
            "agent": self.agent,
            "at": self.at.isoformat(),
        }


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


def _message(doc: Document) -> AgentMessage:
    return AgentMessage(
        reply_id=str(doc["_id"]),
        seq=int(doc["seq"]),
        text=str(doc["text"]),
        agent=str(doc["agent"]),
        at=doc["at"],
    )
