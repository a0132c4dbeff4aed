"""Knowledge articles in MongoDB: each with its draft and, once published, the
published version (what agents are suggested and the public help center shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.mongo import Document, IndexSpec

ARTICLES = "articles"

INDEXES = (IndexSpec(ARTICLES, [("tenant_id", 1), ("status", 1)], "by_status"),)


class ArticleRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._articles = db[ARTICLES]

    async def create(self, article: dict[str, Any]) -> None:
        await self._articles.insert_one(article)

    async def get(self, tenant_id: str, article_id: str) -> dict[str, Any] | None:
        return await self._articles.find_one({"_id": article_id, "tenant_id": tenant_id})

    async def all(self, tenant_id: str, *, published_only: bool) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if published_only:
            query["status"] = "published"
        return [doc async for doc in self._articles.find(query).sort("_id", 1)]

    async def edit_draft(
        self, tenant_id: str, article_id: str, draft: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None:
        return await self._articles.find_one_and_update(
            {"_id": article_id, "tenant_id": tenant_id},
            {"$set": {"draft": draft, "updated_at": at}, "$inc": {"version": 1}},
            return_document=True,
        )

    async def publish(
        self, tenant_id: str, article_id: str, at: datetime, actor: str
    ) -> dict[str, Any] | None:
        """The draft becomes the published version (the next version number)."""
        current = await self.get(tenant_id, article_id)
        if current is None:
            return None
        number = (current.get("published") or {}).get("version", 0) + 1
        published = {**current["draft"], "version": number, "published_at": at, "by": actor}
        return await self._articles.find_one_and_update(
            {"_id": article_id, "tenant_id": tenant_id},
            {"$set": {"published": published, "status": "published", "updated_at": at}},
            return_document=True,
        )
