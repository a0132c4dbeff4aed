"""Search over customers, cases and timeline entries by their bigrams (see domain/search.py)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES
from case_service.adapters.customers import CUSTOMERS
from case_service.adapters.timeline import ENTRIES
from cc_common.mongo import Document

SCOPES = {"customers": CUSTOMERS, "cases": CASES, "messages": ENTRIES}
_NEWEST_FIRST = {
    "customers": "last_seen_at",
    "cases": "last_activity_at",
    "messages": "occurred_at",
}
CANDIDATES_PER_HIT = 5
"""Documents read per hit wanted: bigram matches that are not substring matches are dropped."""


class SearchRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def search(
        self, scope: str, tenant_id: str, *, text: str, grams: list[str], limit: int
    ) -> list[dict[str, Any]]:
        """Documents of the tenant whose text holds ``text``, newest first."""
        cursor = (
            self._db[SCOPES[scope]]
            .find({"tenant_id": tenant_id, "grams": {"$all": grams}}, projection={"grams": 0})
            .sort(_NEWEST_FIRST[scope], -1)
            .limit(limit * CANDIDATES_PER_HIT)
        )
        hits: list[dict[str, Any]] = []
        async for doc in cursor:
            if text in doc.get("search_text", "") and not doc.get("merged_into"):
                hits.append(doc)
                if len(hits) == limit:
                    break
        return hits
