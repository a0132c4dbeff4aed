"""Customers and their identities in MongoDB; an identity belongs to one customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_common.mongo import Document, IndexSpec

CUSTOMERS = "customers"
IDENTITIES = "identities"

INDEXES = (
    IndexSpec(IDENTITIES, [("customer_id", 1)], "by_customer"),
    IndexSpec(CUSTOMERS, [("tenant_id", 1), ("created_at", 1)], "by_tenant"),
)


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._customers = db[CUSTOMERS]
        self._identities = db[IDENTITIES]

    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> str:
        """The customer owning these identity keys, created on first contact.

        The identity's ``_id`` is its key, so two concurrent first contacts race on
        one unique key and both end with the winner's customer.
        """
        if not keys:
            raise ValueError("an interaction without identities cannot be resolved")
        owners = await self._owners(keys)
        customer_id = next((owners[k] for k in keys if k in owners), None)
        if customer_id is None:
            customer_id = await self._claim(keys[0], tenant_id, str(uuid.uuid4()))
        for key in keys:
            if key not in owners:
                await self._claim(key, tenant_id, customer_id)
        await self._customers.update_one(
            {"_id": customer_id},
            {
                "$setOnInsert": {"tenant_id": tenant_id, "created_at": seen_at},
                "$max": {"last_seen_at": seen_at},
                **({"$set": {"display_name": display_name}} if display_name else {}),
            },
            upsert=True,
        )
        return customer_id

    async def _owners(self, keys: list[str]) -> dict[str, str]:
        cursor = self._identities.find({"_id": {"$in": keys}}, projection={"customer_id": 1})
        return {doc["_id"]: doc["customer_id"] async for doc in cursor}

    async def _claim(self, key: str, tenant_id: str, customer_id: str) -> str:
        """Give ``key`` to ``customer_id`` unless it has an owner; return the owner."""
        kind, value = key.split("|", 2)[1:]
        for _ in range(2):
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
            assert doc is not None
            return str(doc["customer_id"])
        raise RuntimeError(f"identity {key!r} could not be claimed")

    async def link(self, tenant_id: str, customer_id: str, key: str) -> str:
        """Give an identity to a customer (an agent's link); returns its owner.

        An identity already owned by another customer keeps its owner: joining two
        customers is a merge, which must be explicit.
        """
        return await self._claim(key, tenant_id, customer_id)

    async def get(self, tenant_id: str, customer_id: str) -> dict[str, Any] | None:
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
        return {**doc, "identities": identities}

    async def find_by_identity(self, key: str, tenant_id: str) -> str | None:
        """The customer owning one identity key in the tenant."""
        doc = await self._identities.find_one({"_id": key, "tenant_id": tenant_id})
        return str(doc["customer_id"]) if doc else None
