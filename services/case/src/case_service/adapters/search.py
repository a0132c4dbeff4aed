"""Search over customers, cases and timeline entries by their bigrams (see domain/search.py).

The index finds the documents holding one of the query's bigrams (the one likeliest
to be rare); the exact substring check on each document's normalised text does the
rest. SecantusDB evaluates ``grams: {$all: [...]}`` by fetching the documents of
every bigram (measured: 6.5 s for six bigrams over 50,000 entries, 0.4 s for one),
and fetches everything a query's index bounds match before sorting and limiting, so
messages, the collection that grows without end, are read in time windows on an
index of (tenant, bigram, time), newest first, until the page is full.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES
from case_service.adapters.customers import CUSTOMERS
from case_service.adapters.time_windows import TimeWindows
from case_service.adapters.timeline import ENTRIES
from cc_common.events import utc_now
from cc_common.mongo import Document

SCOPES = {"customers": CUSTOMERS, "cases": CASES, "messages": ENTRIES}
_NEWEST_FIRST = {
    "customers": "last_seen_at",
    "cases": "last_activity_at",
    "messages": "occurred_at",
}


SCAN_BUDGET = 1500
"""Candidate documents one search examines at most (about 0.1 ms each on SecantusDB):
a query whose bigrams are common but whose text is rare stops there, answered with
the newest matches found and marked incomplete, rather than reading all history."""


def _rarity(char: str) -> int:
    if char.isdigit():
        return 3  # order, ticket and phone numbers: what agents search by
    if "\u3400" <= char <= "\u9fff" or "\u30a0" <= char <= "\u30ff":
        return 2  # kanji and katakana: content words
    return 1 if not char.isascii() else 0


def rarest_looking(grams: list[str]) -> str:
    """The bigram to look up: without per-tenant counts, digits before kanji and
    katakana, those before kana and Latin, then the highest code points (rare Latin
    letters before vowels); a crude but stable stand-in for rarity. Which one is
    chosen changes the cost of a search, never its answer."""
    return max(grams, key=lambda gram: (sum(map(_rarity, gram)), sum(map(ord, gram)), gram))


class SearchRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def search(
        self, scope: str, tenant_id: str, *, text: str, grams: list[str], limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Documents of the tenant whose text holds ``text``, newest first, and whether
        the search looked at every candidate (False: it stopped at ``SCAN_BUDGET``)."""
        query = {"tenant_id": tenant_id, "grams": rarest_looking(grams)}
        collection = self._db[SCOPES[scope]]
        hits: list[dict[str, Any]] = []
        examined = 0
        if scope != "messages":
            cursor = collection.find(query).sort(_NEWEST_FIRST[scope], -1)
            async for doc in cursor:
                if examined == SCAN_BUDGET:
                    return hits, False
                examined += 1
                if _matches(doc, text):
                    hits.append(doc)
                    if len(hits) == limit:
                        break
            return hits, True
        windows = TimeWindows(None, None, utc_now())
        while len(hits) < limit and (time_range := windows.next(len(hits), limit)) is not None:
            if examined >= SCAN_BUDGET:
                return hits, False
            cursor = collection.find({**query, "occurred_at": time_range}).sort(
                [("occurred_at", -1), ("_id", -1)]
            )
            async for doc in cursor:
                examined += 1
                if _matches(doc, text):
                    hits.append(doc)
        return hits[:limit], True


def _matches(doc: dict[str, Any], text: str) -> bool:
    return text in doc.get("search_text", "") and not doc.get("merged_into")
