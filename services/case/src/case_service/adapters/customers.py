"""Customers and their identities in MongoDB; an identity belongs to one customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from case_service.domain.errors import StaleVersion
from case_service.domain.merging import Conflict, Resolution
from case_service.domain.model import Customer
from case_service.domain.search import searchable
from cc_common.mongo import Document, IndexSpec

CUSTOMERS = "customers"
IDENTITIES = "identities"

INDEXES = (
    IndexSpec(IDENTITIES, [("customer_id", 1)], "by_customer"),
    IndexSpec(CUSTOMERS, [("tenant_id", 1), ("created_at", 1)], "by_tenant"),
    IndexSpec(CUSTOMERS, [("tenant_id", 1), ("grams", 1)], "search"),
)


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._customers = db[CUSTOMERS]
        self._identities = db[IDENTITIES]

    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> Resolution:
        """The customer owning these identity keys, created on first contact.

        The identity's ``_id`` is its key, so two concurrent first contacts race on
        one unique key and both end with the winner's customer. When the keys belong
        to several customers, the contact joins the one known longest; the others'
        keys stay theirs and come back as conflicts (a merge decides them).
        """
        if not keys:
            raise ValueError("an interaction without identities cannot be resolved")
        owners = await self._owners(keys)
        customer_id = await self._longest_known(set(owners.values()))
        if customer_id is None:
            customer_id = await self._claim(keys[0], tenant_id, str(uuid.uuid4()))
        for key in keys:
            if key not in owners:
                await self._claim(key, tenant_id, customer_id)
        before = await self._customers.find_one_and_update(
            {"_id": customer_id},
            {
                "$setOnInsert": {"tenant_id": tenant_id, "created_at": seen_at, "version": 1},
                "$max": {"last_seen_at": seen_at},
                "$inc": {"contacts": 1},
                **({"$set": {"display_name": display_name}} if display_name else {}),
            },
            projection={"display_name": 1},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        renamed = bool(display_name) and (before or {}).get("display_name") != display_name
        if before is None or renamed or any(key not in owners for key in keys):
            await self.refresh_search(customer_id)
        others: dict[str, list[str]] = {}
        for key in keys:
            owner = owners.get(key)
            if owner is not None and owner != customer_id:
                others.setdefault(owner, []).append(key)
        conflicts = tuple(Conflict(owner, tuple(k)) for owner, k in others.items())
        own = tuple(k for k in keys if owners.get(k) == customer_id)
        return Resolution(customer_id, conflicts, own)

    async def refresh_search(self, customer_id: str) -> None:
        """Make the customer findable by name and by every identity it owns now."""
        doc = await self._customers.find_one({"_id": customer_id}, projection={"display_name": 1})
        if doc is None:
            return
        values = [i["value"] async for i in self._identities.find({"customer_id": customer_id})]
        fields = searchable([doc.get("display_name"), *values])
        await self._customers.update_one({"_id": customer_id}, {"$set": fields})

    async def _longest_known(self, customer_ids: set[str]) -> str | None:
        """Of several customers, the one created first: it keeps its id through a merge."""
        if len(customer_ids) < 2:
            return next(iter(customer_ids), None)
        found = [
            (doc.get("created_at"), doc["_id"])
            async for doc in self._customers.find(
                {"_id": {"$in": sorted(customer_ids)}}, projection={"created_at": 1}
            )
        ]
        found.sort(key=lambda pair: (pair[0] is None, pair[0] or 0, pair[1]))
        return str(found[0][1]) if found else min(customer_ids)

    async def _owners(self, keys: list[str]) -> dict[str, str]:
        cursor = self._identities.find({"_id": {"$in": keys}}, projection={"customer_id": 1})
        return {doc["_id"]: doc["customer_id"] async for doc in cursor}

    async def _claim(self, key: str, tenant_id: str, customer_id: str) -> str:
        """Give ``key`` to ``customer_id`` unless it has an owner; return the owner."""
        kind, value = key.split("|", 2)[1:]
        for _ in range(3):
            try:
                doc = await self._identities.find_one_and_update(
                    {"_id": key},
                    {
                        "$setOnInsert": {
                            "tenant_id": tenant_id,
                            "customer_id": customer_id,
                            "kind": kind,
                            "value": value,
                        }
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue  # a concurrent upsert won; read its owner on the next pass
            # SecantusDB can answer a raced upsert with no document: read the winner's.
            doc = doc or await self._identities.find_one({"_id": key})
            if doc is not None:
                return str(doc["customer_id"])
        raise RuntimeError(f"identity {key!r} could not be claimed")

    async def link(self, tenant_id: str, customer_id: str, key: str) -> str:
        """Give an identity to a customer (an agent's link); returns its owner.

        An identity already owned by another customer keeps its owner: joining two
        customers is a merge, which must be explicit.
        """
        owner = await self._claim(key, tenant_id, customer_id)
        if owner == customer_id:
            await self.refresh_search(customer_id)
        return owner

    async def get(self, tenant_id: str, customer_id: str) -> Customer | None:
        """One customer of the tenant with its identities, or None."""
        doc = await self._customers.find_one({"_id": customer_id, "tenant_id": tenant_id})
        if doc is None:
            return None
        identities = [
            {"kind": i["kind"], "value": i["value"]}
            async for i in self._identities.find(
                {"customer_id": customer_id, "tenant_id": tenant_id}
            )
        ]
        return Customer.model_validate({**doc, "id": doc["_id"], "identities": identities})

    async def update_profile(
        self, tenant_id: str, customer_id: str, *, expected_version: int, fields: dict[str, Any]
    ) -> Customer | None:
        """Apply a profile edit if the customer is still at ``expected_version``.

        Returns None if the customer is unknown; raises StaleVersion if it changed.
        """
        updated = await self._customers.find_one_and_update(
            {"_id": customer_id, "tenant_id": tenant_id, "version": expected_version},
            {"$set": fields, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            if await self.exists(tenant_id, customer_id):
                raise StaleVersion(
                    "The customer changed since you read it: read it again, then edit."
                )
            return None
        if "display_name" in fields:
            await self.refresh_search(customer_id)
        return await self.get(tenant_id, customer_id)

    async def exists(self, tenant_id: str, customer_id: str) -> bool:
        doc = await self._customers.find_one(
            {"_id": customer_id, "tenant_id": tenant_id}, projection={"_id": 1}
        )
        return doc is not None

    async def find_by_identity(self, key: str, tenant_id: str) -> str | None:
        """The customer owning one identity key in the tenant."""
        doc = await self._identities.find_one({"_id": key, "tenant_id": tenant_id})
        return str(doc["customer_id"]) if doc else None
