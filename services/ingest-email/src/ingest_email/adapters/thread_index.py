"""The thread index in MongoDB: every Message-ID we received or sent, and case tokens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.events.owed import Owed, owing
from cc_common.mongo import Document, IndexSpec
from cc_common.outbox import MongoOutbox, outbox_index
from ingest_email.domain.threading import KnownMessage

MESSAGES = "email_messages"
TOKENS = "email_case_tokens"

INDEXES = (
    IndexSpec(MESSAGES, [("tenant_id", 1), ("conversation_key", 1)], "by_conversation"),
    outbox_index(MESSAGES),
)


def _key(tenant_id: str, value: str) -> str:
    return f"{tenant_id}|{value}"


class ThreadIndex:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._messages = db[MESSAGES]
        self._tokens = db[TOKENS]
        self.outbox = MongoOutbox(self._messages, name="email_messages")
        """The events recorded messages owe: a received email's interaction, a sent
        reply's record (published at once, and by the relay if that failed)."""

    async def find(self, tenant_id: str, message_ids: Iterable[str]) -> dict[str, KnownMessage]:
        """The indexed messages among ``message_ids``."""
        keys = [_key(tenant_id, m) for m in dict.fromkeys(message_ids)]
        if not keys:
            return {}
        found: dict[str, KnownMessage] = {}
        async for doc in self._messages.find({"_id": {"$in": keys}}):
            found[doc["message_id"]] = _known(doc)
        return found

    async def by_token(self, tenant_id: str, token: str) -> KnownMessage | None:
        doc = await self._tokens.find_one({"_id": _key(tenant_id, token)})
        return _known(doc) if doc else None

    async def record(
        self,
        tenant_id: str,
        *,
        message_id: str,
        conversation_key: str,
        participants: Iterable[str],
        references: tuple[str, ...],
        direction: str,
        at: datetime,
        subject: str | None = None,
        owes: Sequence[Owed] = (),
    ) -> None:
        """Remember a message (the first decision for an id stands) and the events its
        arrival or sending owes the broker (see :meth:`published`)."""
        await self._messages.update_one(
            {"_id": _key(tenant_id, message_id)},
            {
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "message_id": message_id,
                    "conversation_key": conversation_key,
                    "references": list(references),
                    "direction": direction,
                    "subject": subject,
                    "at": at,
                    **(owing(owes, since=at) if owes else {}),
                },
                "$addToSet": {"participants": {"$each": sorted(set(participants))}},
            },
            upsert=True,
        )

    async def published(self, tenant_id: str, message_id: str) -> None:
        """What the message owed is on the broker: the relay has nothing to do for it."""
        await self.outbox.sent(_key(tenant_id, message_id))

    async def record_token(
        self, tenant_id: str, token: str, *, conversation_key: str, participants: Iterable[str]
    ) -> None:
        await self._tokens.update_one(
            {"_id": _key(tenant_id, token)},
            {
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "message_id": token,
                    "conversation_key": conversation_key,
                },
                "$addToSet": {"participants": {"$each": sorted(set(participants))}},
            },
            upsert=True,
        )

    async def participants(self, tenant_id: str, conversation_key: str) -> frozenset[str]:
        """Everyone who took part in a conversation so far."""
        people: set[str] = set()
        query = {"tenant_id": tenant_id, "conversation_key": conversation_key}
        async for doc in self._messages.find(query, projection={"participants": 1}):
            people.update(doc.get("participants", []))
        return frozenset(people)


def _known(doc: Document) -> KnownMessage:
    return KnownMessage(
        message_id=doc["message_id"],
        conversation_key=doc["conversation_key"],
        participants=frozenset(doc.get("participants", [])),
        references=tuple(doc.get("references", [])),
    )
