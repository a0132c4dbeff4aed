"""Macros in MongoDB, and each one's uses (counted once per application)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_common.mongo import Document, IndexSpec

MACROS = "macros"
MACRO_USES = "macro_uses"
USE_DAYS = 7
"""How long an application's key is remembered: a retry within it is not counted again."""

INDEXES = (
    IndexSpec(MACROS, [("tenant_id", 1)], "by_tenant"),
    IndexSpec(MACRO_USES, [("at", 1)], "expiry", options={"expireAfterSeconds": USE_DAYS * 86_400}),
)


class MacroRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._macros = db[MACROS]
        self._uses = db[MACRO_USES]

    async def create(self, macro: dict[str, Any]) -> None:
        await self._macros.insert_one(macro)

    async def get(self, tenant_id: str, macro_id: str) -> dict[str, Any] | None:
        return await self._macros.find_one({"_id": macro_id, "tenant_id": tenant_id})

    async def of_tenant(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every macro of the tenant, the most used first (who is offered which is the
        domain's rule: ``domain/macros.visible_to``)."""
        found = [doc async for doc in self._macros.find({"tenant_id": tenant_id})]
        return sorted(found, key=lambda doc: (-doc.get("usage_count", 0), doc["title"]))

    async def replace(
        self, tenant_id: str, macro_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await self._macros.find_one_and_update(
            {"_id": macro_id, "tenant_id": tenant_id},
            {"$set": fields, "$inc": {"version": 1}},
            return_document=True,
        )

    async def delete(self, tenant_id: str, macro_id: str) -> bool:
        result = await self._macros.delete_one({"_id": macro_id, "tenant_id": tenant_id})
        return result.deleted_count == 1

    async def count_use(self, tenant_id: str, macro_id: str, use_id: str, at: datetime) -> None:
        """Count an application once, however often it is retried with the same key."""
        try:
            await self._uses.insert_one({"_id": f"{tenant_id}|{macro_id}|{use_id}", "at": at})
        except DuplicateKeyError:
            return
        await self._macros.update_one(
            {"_id": macro_id, "tenant_id": tenant_id},
            {"$inc": {"usage_count": 1}, "$set": {"last_used_at": at}},
        )
