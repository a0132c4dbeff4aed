"""The case consumer's batches in MongoDB: the reads of a batch's identities,
conversations, cases and entries with one query each, and its writes with one bulk
write per collection.

Each write is the same operation the one-contact adapters make (upserts with
``$setOnInsert``, ``$max`` for activity), so a batch replayed after a crash changes
nothing twice, and a batch and a single contact can follow one another freely. On
SecantusDB a command costs far more than a document in it (measured: one
``insert_one`` at a time ~1,000/s, the reference pipeline's bulk upserts ~3,000/s).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo import UpdateMany, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from case_service.adapters.cases import (
    CASES,
    CONVERSATIONS,
    case_document,
    case_from_document,
    conversation_id,
)
from case_service.adapters.customers import CUSTOMERS, IDENTITIES
from case_service.adapters.timeline import ENTRIES
from case_service.domain.model import Case
from case_service.domain.search import searchable
from case_service.ports import CaseChange, ContactWrites, CustomerSeen
from cc_common.mongo import Document

_DUPLICATE_KEY = 11000


class ContactBatchRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def stored_entries(self, entry_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        if not entry_ids:
            return {}
        found: dict[str, tuple[str, str | None]] = {}
        projection = {"customer_id": 1, "case_id": 1}
        async for doc in self._db[ENTRIES].find({"_id": {"$in": entry_ids}}, projection):
            if doc.get("customer_id") is not None:
                found[doc["_id"]] = (doc["customer_id"], doc.get("case_id"))
        return found

    async def calls_of_events(
        self, tenant_events: list[tuple[str, str]]
    ) -> dict[str, tuple[str, str | None]]:
        by_tenant: defaultdict[str, list[str]] = defaultdict(list)
        for tenant_id, event_id in tenant_events:
            by_tenant[tenant_id].append(event_id)
        found: dict[str, tuple[str, str | None]] = {}
        for tenant_id, event_ids in by_tenant.items():
            cursor = self._db[ENTRIES].find(
                {"tenant_id": tenant_id, "call_event_ids": {"$in": event_ids}},
                {"customer_id": 1, "case_id": 1, "call_event_ids": 1},
            )
            async for doc in cursor:
                for event_id in set(doc["call_event_ids"]) & set(event_ids):
                    found[event_id] = (doc["customer_id"], doc.get("case_id"))
        return found

    async def identity_owners(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        cursor = self._db[IDENTITIES].find({"_id": {"$in": keys}}, {"customer_id": 1})
        return {doc["_id"]: doc["customer_id"] async for doc in cursor}

    async def claim_identities(self, claims: dict[str, tuple[str, str]]) -> dict[str, str]:
        if not claims:
            return {}
        operations = []
        for key, (tenant_id, customer_id) in claims.items():
            kind, value = key.split("|", 2)[1:]
            owner = {"tenant_id": tenant_id, "customer_id": customer_id}
            operations.append(
                UpdateOne(
                    {"_id": key},
                    {"$setOnInsert": {**owner, "kind": kind, "value": value}},
                    upsert=True,
                )
            )
        try:
            await self._db[IDENTITIES].bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # Another consumer claimed some first: their owner stands (read below).
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
        return await self.identity_owners(list(claims))

    async def customer_names(self, customer_ids: list[str]) -> dict[str, str | None]:
        if not customer_ids:
            return {}
        cursor = self._db[CUSTOMERS].find({"_id": {"$in": customer_ids}}, {"display_name": 1})
        return {doc["_id"]: doc.get("display_name") async for doc in cursor}

    async def cases_of_conversations(
        self, conversations: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Case]:
        if not conversations:
            return {}
        ids = {conversation_id(tenant, key): (tenant, key) for tenant, key in conversations}
        mappings = {
            doc["_id"]: doc["case_id"]
            async for doc in self._db[CONVERSATIONS].find({"_id": {"$in": list(ids)}})
        }
        if not mappings:
            return {}
        cases = {
            doc["_id"]: case_from_document(doc)
            async for doc in self._db[CASES].find({"_id": {"$in": sorted(set(mappings.values()))}})
        }
        return {
            ids[mapping]: cases[case_id]
            for mapping, case_id in mappings.items()
            if case_id in cases
        }

    async def write(self, writes: ContactWrites) -> None:
        """Customers, then cases, then conversations, then entries: a crash in between
        leaves no conversation pointing at a missing case and no entry (what marks a
        contact as stored) without its case."""
        if writes.customers:
            await self._db[CUSTOMERS].bulk_write(
                [_customer_seen(cid, seen) for cid, seen in writes.customers.items()],
                ordered=False,
            )
        if writes.cases:
            await self._db[CASES].bulk_write([_case_change(c) for c in writes.cases], ordered=True)
        if writes.conversations:
            await self._db[CONVERSATIONS].bulk_write(
                [
                    UpdateOne(
                        {"_id": conversation_id(tenant, key)},
                        {"$set": {"tenant_id": tenant, "case_id": case_id}},
                        upsert=True,
                    )
                    for (tenant, key), case_id in writes.conversations.items()
                ],
                ordered=False,
            )
        if writes.entries:
            await self._db[ENTRIES].bulk_write(
                [
                    UpdateOne(
                        {"_id": entry["_id"]},
                        {"$setOnInsert": {k: v for k, v in entry.items() if k != "_id"}},
                        upsert=True,
                    )
                    for entry in writes.entries
                ],
                ordered=False,
            )

    async def adopt_pending(self, placed: list[tuple[str, str, str, str]]) -> None:
        by_tenant: defaultdict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        for tenant_id, interaction_id, customer_id, case_id in placed:
            by_tenant[tenant_id][interaction_id] = (customer_id, case_id)
        for tenant_id, owners in by_tenant.items():
            # The interaction index alone: a customer_id: None term makes SecantusDB scan.
            waiting = [
                doc
                async for doc in self._db[ENTRIES].find(
                    {"tenant_id": tenant_id, "interaction_id": {"$in": list(owners)}},
                    projection={"customer_id": 1, "interaction_id": 1},
                )
                if doc.get("customer_id") is None
            ]
            if waiting:
                await self._db[ENTRIES].bulk_write(
                    [
                        UpdateMany(
                            {"_id": doc["_id"]},
                            {
                                "$set": {
                                    "customer_id": owners[doc["interaction_id"]][0],
                                    "case_id": owners[doc["interaction_id"]][1],
                                }
                            },
                        )
                        for doc in waiting
                    ]
                )


def _customer_seen(customer_id: str, seen: CustomerSeen) -> UpdateOne:
    update: dict[str, Any] = {
        "$max": {"last_seen_at": seen.seen_at},
        "$inc": {"contacts": seen.contacts},
    }
    fields: dict[str, Any] = {}
    if seen.display_name:
        fields["display_name"] = seen.display_name
    if seen.created_with is not None:
        update["$setOnInsert"] = {
            "tenant_id": seen.tenant_id,
            "created_at": seen.seen_at,
            "version": 1,
        }
        fields |= searchable([seen.display_name, *seen.created_with])
    if fields:
        update["$set"] = fields
    return UpdateOne({"_id": customer_id}, update, upsert=seen.created_with is not None)


def _case_change(change: CaseChange) -> UpdateOne:
    """The update the one-contact adapter (adapters/cases.py) makes for the same change."""
    if change.created is not None:
        doc = case_document(change.created)
        del doc["_id"]
        last_activity = doc.pop("last_activity_at")
        return UpdateOne(
            {"_id": change.case_id},
            {"$setOnInsert": doc, "$max": {"last_activity_at": last_activity}},
            upsert=True,
        )
    if change.status_fields is not None:
        reopened = "reopened_at" in change.status_fields
        return UpdateOne(
            {"_id": change.case_id, "tenant_id": change.tenant_id},
            {
                "$set": change.status_fields,
                "$inc": {"version": 1, **({"reopen_count": 1} if reopened else {})},
            },
        )
    update: dict[str, Any] = {}
    if change.touched_at is not None:
        update["$max"] = {"last_activity_at": change.touched_at}
    if change.returns:
        update["$inc"] = {"customer_returns": change.returns}
    if change.inbound is not None:
        update["$set"] = change.inbound
    return UpdateOne({"_id": change.case_id}, update)
