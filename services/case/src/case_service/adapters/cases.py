"""Cases in MongoDB. The walking skeleton opens one case per conversation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.mongo import Document, IndexSpec

CASES = "cases"
_CASE_NAMESPACE = uuid.UUID("0b8f1d0c-2f6c-4c39-a1c6-7f1f4c2f9b11")

INDEXES = (
    IndexSpec(CASES, [("tenant_id", 1), ("customer_id", 1), ("opened_at", -1)], "by_customer"),
)


def case_id_for(tenant_id: str, conversation_key: str) -> str:
    """The case a conversation belongs to (deterministic, so replays agree)."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{tenant_id}\x1f{conversation_key}"))


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]

    async def open_for_conversation(
        self,
        *,
        tenant_id: str,
        customer_id: str,
        conversation_key: str,
        channel: str,
        subject: str | None,
        opened_at: datetime,
    ) -> str:
        """The conversation's case, opened if new."""
        case_id = case_id_for(tenant_id, conversation_key)
        await self._cases.update_one(
            {"_id": case_id},
            {
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "conversation_key": conversation_key,
                    "channel": channel,
                    "subject": subject,
                    "status": "new",
                    "opened_at": opened_at,
                },
                "$max": {"last_activity_at": opened_at},
            },
            upsert=True,
        )
        return case_id

    async def note_inbound(
        self,
        case_id: str,
        *,
        reply_to: dict[str, Any] | None,
        message_id: str | None,
        at: datetime,
    ) -> None:
        """Remember where replies on the case go and which message they answer.

        A case's events arrive in order (one conversation), so read-then-write is
        safe; an older message replayed later does not move the answer back.
        """
        current = await self._cases.find_one({"_id": case_id}, projection={"last_inbound_at": 1})
        if current is None:
            return
        last = current.get("last_inbound_at")
        if last is not None and last > at:
            return
        await self._cases.update_one(
            {"_id": case_id},
            {
                "$set": {
                    "reply_to": reply_to,
                    "last_inbound_message_id": message_id,
                    "last_inbound_at": at,
                }
            },
        )

    async def get(self, tenant_id: str, case_id: str) -> dict[str, Any] | None:
        """One case of the tenant."""
        return await self._cases.find_one({"_id": case_id, "tenant_id": tenant_id})

    async def list_for_customer(self, tenant_id: str, customer_id: str) -> list[dict[str, Any]]:
        """The customer's cases, newest first."""
        cursor = self._cases.find({"tenant_id": tenant_id, "customer_id": customer_id}).sort(
            "opened_at", -1
        )
        return [doc async for doc in cursor]
