"""Merging two cases of a customer into one, and splitting entries off into a new case.

Moved entries keep a trace (``moved_from`` holds the cases they were on), the
conversations of a merged case join the surviving one (the customer's next message
there lands on it), and the merged case is closed with ``merged_into``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES, CONVERSATIONS
from case_service.adapters.timeline import ENTRIES
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.search import searchable
from case_service.domain.timeline import case_entry
from cc_common.mongo import Document

MOVABLE = ("interaction", "reply", "note", "routing", "callback")
"""Entry types that may move between cases (case and customer events stay)."""


class MoveRefused(ValueError):
    """The merge or split is not allowed (the message says why)."""


class CaseMoves:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]
        self._conversations = db[CONVERSATIONS]
        self._entries = db[ENTRIES]

    async def merge(
        self,
        tenant_id: str,
        *,
        source_id: str,
        target_id: str,
        actor: str,
        reason: str,
        at: datetime,
    ) -> dict[str, Any]:
        """Move every entry of ``source`` to ``target``; close ``source``. Returns target."""
        source, target = await self._pair(tenant_id, source_id, target_id)
        if source_id == target_id:
            raise MoveRefused("a case cannot be merged into itself")
        if source["customer_id"] != target["customer_id"]:
            raise MoveRefused("the cases belong to different customers: merge the customers first")
        for case in (source, target):
            if case["status"] == CaseStatus.CLOSED:
                raise MoveRefused(f"case {case['_id']} is closed")
        await self._entries.update_many(
            {"tenant_id": tenant_id, "case_id": source_id, "entry_type": {"$in": list(MOVABLE)}},
            {"$set": {"case_id": target_id}, "$addToSet": {"moved_from": source_id}},
        )
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
        details = {"source_case_id": source_id, "target_case_id": target_id, "reason": reason}
        await self._record(
            [
                (target, "case.merged", f"case {source_id} merged into this one: {reason}"),
                (source, "case.merged_away", f"merged into case {target_id}: {reason}"),
            ],
            details=details,
            actor=actor,
            at=at,
        )
        await self._cases.update_one(
            {"_id": target_id}, {"$inc": {"version": 1}, "$max": {"last_activity_at": at}}
        )
        found = await self._cases.find_one({"_id": target_id})
        assert found is not None
        return found

    async def split(
        self,
        tenant_id: str,
        case_id: str,
        *,
        entry_ids: list[str],
        subject: str | None,
        actor: str,
        at: datetime,
    ) -> dict[str, Any]:
        """Move ``entry_ids`` of a case into a new case of the same customer; returns it."""
        case = await self._cases.find_one({"_id": case_id, "tenant_id": tenant_id})
        if case is None:
            raise LookupError(f"no case {case_id}")
        if case["status"] == CaseStatus.CLOSED:
            raise MoveRefused("the case is closed")
        entries = [
            doc
            async for doc in self._entries.find(
                {"_id": {"$in": entry_ids}, "tenant_id": tenant_id, "case_id": case_id},
                projection={"entry_type": 1, "occurred_at": 1, "channel": 1},
            )
        ]
        if len(entries) != len(set(entry_ids)):
            raise MoveRefused("every entry must be on this case")
        if any(e["entry_type"] not in MOVABLE for e in entries):
            raise MoveRefused("only messages, calls, replies, notes and routing entries move")
        first = min(entries, key=lambda e: e["occurred_at"])
        new_id = str(uuid.uuid4())
        new_case = {
            "_id": new_id,
            "tenant_id": tenant_id,
            "customer_id": case["customer_id"],
            "conversation_key": case.get("conversation_key"),
            "channel": first["channel"],
            "subject": subject or case.get("subject"),
            "status": CaseStatus.OPEN.value,
            "priority": case.get("priority", "normal"),
            "tags": [],
            "custom_fields": {},
            "opened_at": first["occurred_at"],
            "last_activity_at": at,
            "split_from": case_id,
            "version": 1,
            **searchable([subject or case.get("subject")]),
        }
        await self._cases.insert_one(new_case)
        await self._entries.update_many(
            {"_id": {"$in": entry_ids}, "tenant_id": tenant_id, "case_id": case_id},
            {"$set": {"case_id": new_id}, "$addToSet": {"moved_from": case_id}},
        )
        details = {"source_case_id": case_id, "new_case_id": new_id, "entries": len(entry_ids)}
        await self._record(
            [
                (case, "case.split", f"{len(entry_ids)} entries moved to new case {new_id}"),
                (new_case, "case.split_from", f"split from case {case_id}"),
            ],
            details=details,
            actor=actor,
            at=at,
        )
        await self._cases.update_one({"_id": case_id}, {"$inc": {"version": 1}})
        return new_case

    async def _record(
        self,
        changes: list[tuple[dict[str, Any], str, str]],
        *,
        details: dict[str, Any],
        actor: str,
        at: datetime,
    ) -> None:
        """One timeline entry per (case, kind, summary): both sides of a move."""
        for case, kind, summary in changes:
            await self._entries.insert_one(
                case_entry(
                    case,
                    entry_id=str(uuid.uuid4()),
                    kind=kind,
                    at=at,
                    summary=summary,
                    details=details,
                    actor=actor,
                )
            )

    async def _pair(
        self, tenant_id: str, source_id: str, target_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        found = {
            doc["_id"]: doc
            async for doc in self._cases.find(
                {"_id": {"$in": [source_id, target_id]}, "tenant_id": tenant_id}
            )
        }
        for case_id in (source_id, target_id):
            if case_id not in found:
                raise LookupError(f"no case {case_id}")
        return found[source_id], found[target_id]
