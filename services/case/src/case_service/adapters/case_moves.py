"""The storage steps of merging and splitting cases (the rules are domain/case_moves.py)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES, CONVERSATIONS, case_document
from case_service.adapters.timeline import ENTRIES
from case_service.domain.case_moves import MOVABLE, MovingEntry
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.model import Case
from cc_common.mongo import Document


class CaseMoveStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]
        self._conversations = db[CONVERSATIONS]
        self._entries = db[ENTRIES]

    async def moving_entries(
        self, tenant_id: str, case_id: str, entry_ids: list[str]
    ) -> list[MovingEntry]:
        """Those of ``entry_ids`` that are on the case."""
        cursor = self._entries.find(
            {"_id": {"$in": entry_ids}, "tenant_id": tenant_id, "case_id": case_id},
            projection={"entry_type": 1, "occurred_at": 1, "channel": 1},
        )
        return [
            MovingEntry(doc["entry_type"], doc["occurred_at"], doc["channel"])
            async for doc in cursor
        ]

    async def move_entries(
        self, tenant_id: str, source_id: str, target_id: str, entry_ids: list[str] | None = None
    ) -> None:
        """Move the named entries (None: every movable one) of a case to another."""
        selector: Document = {"tenant_id": tenant_id, "case_id": source_id}
        if entry_ids is None:
            selector["entry_type"] = {"$in": list(MOVABLE)}
        else:
            selector["_id"] = {"$in": entry_ids}
        await self._entries.update_many(
            selector, {"$set": {"case_id": target_id}, "$addToSet": {"moved_from": source_id}}
        )

    async def close_merged(
        self, tenant_id: str, source_id: str, target_id: str, at: datetime
    ) -> None:
        """Close the merged case; its conversations' next contacts join the target."""
        await self._conversations.update_many(
            {"tenant_id": tenant_id, "case_id": source_id}, {"$set": {"case_id": target_id}}
        )
        await self._cases.update_one(
            {"_id": source_id},
            {
                "$set": {
                    "status": CaseStatus.CLOSED.value,
                    "closed_at": at,
                    "merged_into": target_id,
                },
                "$inc": {"version": 1},
                "$unset": {"sla_check_at": ""},
            },
        )

    async def insert(self, case: Case) -> None:
        await self._cases.insert_one(case_document(case))

    async def bump(self, case_id: str, at: datetime | None = None) -> None:
        """A move changed the case: a new version, and activity at ``at``."""
        update: Document = {"$inc": {"version": 1}}
        if at is not None:
            update["$max"] = {"last_activity_at": at}
        await self._cases.update_one({"_id": case_id}, update)
