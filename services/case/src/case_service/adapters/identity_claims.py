"""Identities customers typed but never proved (a web chat's pre-chat email or phone).

A claim is kept beside the customer who made it, never as an identity: identities find
customers, claims only raise link proposals for an agent. Claims follow their customer
through a merge (``merges.MOVED``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.customers import IDENTITIES
from cc_common.mongo import Document, IndexSpec

IDENTITY_CLAIMS = "identity_claims"
_CLAIM_NAMESPACE = uuid.UUID("0b6a7c52-4f0e-4c1e-8f55-2d8f3e1a9c47")

INDEXES = (
    IndexSpec(IDENTITY_CLAIMS, [("key", 1)], "by_key"),
    IndexSpec(IDENTITY_CLAIMS, [("tenant_id", 1), ("customer_id", 1)], "by_customer"),
)


class IdentityClaimRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._claims = db[IDENTITY_CLAIMS]
        self._identities = db[IDENTITIES]

    async def owners(self, keys: list[str]) -> dict[str, str]:
        """Identity key -> the customer owning it, for the keys some customer owns."""
        if not keys:
            return {}
        cursor = self._identities.find({"_id": {"$in": keys}}, {"customer_id": 1})
        return {doc["_id"]: doc["customer_id"] async for doc in cursor}

    async def claimants(self, keys: list[str]) -> dict[str, set[str]]:
        """Identity key -> the customers who typed it, for the keys someone typed."""
        if not keys:
            return {}
        found: dict[str, set[str]] = {}
        async for doc in self._claims.find({"key": {"$in": keys}}, {"key": 1, "customer_id": 1}):
            found.setdefault(doc["key"], set()).add(doc["customer_id"])
        return found

    async def record(
        self, tenant_id: str, customer_id: str, keys: list[str], *, at: datetime, event_id: str
    ) -> None:
        """Remember that the customer typed these keys (first time and event kept)."""
        if not keys:
            return
        operations = []
        for key in keys:
            kind, value = key.split("|", 2)[1:]
            claim_id = str(uuid.uuid5(_CLAIM_NAMESPACE, f"{key}\x1f{customer_id}"))
            fields = {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "key": key,
                "kind": kind,
                "value": value,
                "first_at": at,
                "event_id": event_id,
            }
            operations.append(UpdateOne({"_id": claim_id}, {"$setOnInsert": fields}, upsert=True))
        await self._claims.bulk_write(operations, ordered=False)
