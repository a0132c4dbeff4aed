"""Merging two customers into one, undoing it, and merge proposals, in MongoDB.

A merge moves the source customer's identities (and claims), cases and timeline entries
to the target and tags each moved document with the merge's id (``merged_via``), so undoing
it moves back exactly what it moved, even after later merges (A into B, then B into C:
undoing the first sends A's documents home from C). The merge record is written
first, in state ``applying``; every step is idempotent, and a merge found still
applying (a crash) is finished at startup.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from case_service.adapters.cases import CASES
from case_service.adapters.customers import CUSTOMERS, IDENTITIES
from case_service.adapters.identity_claims import IDENTITY_CLAIMS
from case_service.adapters.timeline import ENTRIES
from case_service.domain.errors import NotFound
from case_service.domain.merging import check_customer_merge
from case_service.domain.timeline import merge_entry
from cc_common.mongo import Document, IndexSpec

MERGES = "customer_merges"
PROPOSALS = "merge_proposals"
MAX_MERGE_CHAIN = 20
"""How many merges ``current`` follows (a chain is short; a cycle must not hang it)."""
MOVED = (IDENTITIES, IDENTITY_CLAIMS, CASES, ENTRIES)
"""The collections whose documents follow their customer through a merge."""

INDEXES = (
    IndexSpec(MERGES, [("tenant_id", 1), ("customer_ids", 1), ("at", -1)], "by_customer"),
    IndexSpec(MERGES, [("state", 1)], "by_state"),
    IndexSpec(PROPOSALS, [("tenant_id", 1), ("status", 1), ("created_at", -1)], "open"),
    *(IndexSpec(name, [("merged_via", 1)], "by_merge", options={"sparse": True}) for name in MOVED),
)


class MergeRepository:
    def __init__(
        self, db: AsyncDatabase[Document], refresh_search: Callable[[str], Awaitable[None]]
    ) -> None:
        self._db = db
        self._refresh_search = refresh_search
        self._customers = db[CUSTOMERS]
        self._merges = db[MERGES]
        self._proposals = db[PROPOSALS]

    async def merge(
        self,
        tenant_id: str,
        *,
        source: str,
        target: str,
        reason: str,
        actor: str,
        at: datetime,
        merge_id: str | None = None,
    ) -> dict[str, Any]:
        """Merge ``source`` into ``target``; returns the merge record.

        With a ``merge_id`` already recorded (a replayed event), the record is returned
        and any unfinished step is completed.
        """
        if merge_id is not None and (known := await self._merges.find_one({"_id": merge_id})):
            return await self._apply(known)
        found = {
            doc["_id"]: doc.get("merged_into")
            async for doc in self._customers.find(
                {"_id": {"$in": [source, target]}, "tenant_id": tenant_id},
                projection={"merged_into": 1},
            )
        }
        check_customer_merge(source, target, found)
        record = {
            "_id": merge_id or str(uuid.uuid4()),
            "tenant_id": tenant_id,
            "source": source,
            "target": target,
            "customer_ids": [source, target],
            "reason": reason,
            "actor": actor,
            "at": at,
            "state": "applying",
        }
        try:
            await self._merges.insert_one(record)
        except DuplicateKeyError:
            stored = await self._merges.find_one({"_id": record["_id"]})
            assert stored is not None
            record = stored
        return await self._apply(record)

    async def _apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if record["state"] != "applying":
            return record
        source, target, merge_id = record["source"], record["target"], record["_id"]
        # Twice: a contact of the source stored while the first pass ran is moved by the second.
        for _ in range(2):
            for name in MOVED:
                await self._db[name].update_many(
                    {"tenant_id": record["tenant_id"], "customer_id": source},
                    {"$set": {"customer_id": target}, "$addToSet": {"merged_via": merge_id}},
                )
        await self._customers.update_one(
            {"_id": source},
            {"$set": {"merged_into": target, "merged_at": record["at"], "merge_id": merge_id}},
        )
        await self._adopt_name(source, target, merge_id)
        await self._proposals.update_many(
            {"tenant_id": record["tenant_id"], "customer_ids": {"$all": [source, target]}},
            {"$set": {"status": "merged", "merge_id": merge_id}},
        )
        for customer_id in (source, target):
            await self._refresh_search(customer_id)
        await self._record(merge_entry(record, customer_id=target, undone=False))
        await self._merges.update_one({"_id": merge_id}, {"$set": {"state": "active"}})
        return {**record, "state": "active"}

    async def _adopt_name(self, source: str, target: str, merge_id: str) -> None:
        """A target without a name takes the source's (a caller known only by number
        merged with the chat that gave a name); undoing the merge takes it back."""
        named = await self._customers.find_one({"_id": source}, projection={"display_name": 1})
        name = (named or {}).get("display_name")
        if not name:
            return
        await self._customers.update_one(
            {"_id": target, "$or": [{"display_name": None}, {"display_name": ""}]},
            {"$set": {"display_name": name, "name_from_merge": merge_id}},
        )

    async def _record(self, entry: dict[str, Any]) -> None:
        fields = {k: v for k, v in entry.items() if k != "_id"}
        await self._db[ENTRIES].update_one(
            {"_id": entry["_id"]}, {"$setOnInsert": fields}, upsert=True
        )

    async def unmerge(
        self, tenant_id: str, merge_id: str, *, actor: str, at: datetime
    ) -> dict[str, Any]:
        """Undo a merge: what it moved goes back to the source customer."""
        record = await self._merges.find_one({"_id": merge_id, "tenant_id": tenant_id})
        if record is None:
            raise NotFound(f"no merge {merge_id}")
        if record["state"] == "undone":
            return record
        if record["state"] == "applying":
            record = await self._apply(record)
        source = record["source"]
        for name in MOVED:
            await self._db[name].update_many(
                {"tenant_id": tenant_id, "merged_via": merge_id},
                {"$set": {"customer_id": source}, "$pull": {"merged_via": merge_id}},
            )
        await self._customers.update_one(
            {"_id": source}, {"$unset": {"merged_into": "", "merged_at": "", "merge_id": ""}}
        )
        await self._customers.update_one(
            {"_id": record["target"], "name_from_merge": merge_id},
            {"$unset": {"display_name": "", "name_from_merge": ""}},
        )
        undone = {"state": "undone", "undone_at": at, "undone_by": actor}
        record = {**record, **undone}
        for customer_id in (record["source"], record["target"]):
            await self._refresh_search(customer_id)
            await self._record(merge_entry(record, customer_id=customer_id, undone=True))
        await self._merges.update_one({"_id": merge_id}, {"$set": undone})
        return record

    async def finish_applying(self) -> int:
        """Complete merges a crash left half-applied; returns how many."""
        pending = [doc async for doc in self._merges.find({"state": "applying"})]
        for record in pending:
            await self._apply(record)
        return len(pending)

    async def current(self, tenant_id: str, customer_id: str) -> str:
        for _ in range(MAX_MERGE_CHAIN):
            doc = await self._customers.find_one(
                {"_id": customer_id, "tenant_id": tenant_id}, projection={"merged_into": 1}
            )
            if doc is None or not doc.get("merged_into"):
                return customer_id
            customer_id = doc["merged_into"]
        return customer_id

    async def get(self, tenant_id: str, merge_id: str) -> dict[str, Any] | None:
        return await self._merges.find_one({"_id": merge_id, "tenant_id": tenant_id})

    async def of_customer(self, tenant_id: str, customer_id: str) -> list[dict[str, Any]]:
        """Merges the customer took part in, newest first."""
        cursor = self._merges.find({"tenant_id": tenant_id, "customer_ids": customer_id}).sort(
            "at", -1
        )
        return [doc async for doc in cursor]

    async def propose(
        self,
        tenant_id: str,
        *,
        proposal_id: str,
        customer_ids: list[str],
        reason: str,
        at: datetime,
    ) -> None:
        """Ask a supervisor to merge two customers (one open proposal per pair)."""
        await self._proposals.update_one(
            {"_id": proposal_id},
            {
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "customer_ids": customer_ids,
                    "reason": reason,
                    "created_at": at,
                    "status": "open",
                },
                "$inc": {"contacts": 1},
            },
            upsert=True,
        )

    async def proposals(self, tenant_id: str, status: str) -> list[dict[str, Any]]:
        cursor = self._proposals.find({"tenant_id": tenant_id, "status": status}).sort(
            "created_at", -1
        )
        return [doc async for doc in cursor.limit(200)]

    async def proposal(self, tenant_id: str, proposal_id: str) -> dict[str, Any] | None:
        return await self._proposals.find_one({"_id": proposal_id, "tenant_id": tenant_id})

    async def dismiss(self, tenant_id: str, proposal_id: str, *, actor: str) -> bool:
        result = await self._proposals.update_one(
            {"_id": proposal_id, "tenant_id": tenant_id, "status": "open"},
            {"$set": {"status": "dismissed", "dismissed_by": actor}},
        )
        return result.modified_count > 0
