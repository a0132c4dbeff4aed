"""Substring search that works for Japanese: character bigrams (pure).

Japanese (and Chinese) text has no spaces between words, so word tokenisers either
need a dictionary (MeCab, Sudachi) or miss words. Bigrams need none: a document is
indexed by every pair of adjacent characters of its normalised text, a query finds
the documents holding all of the query's pairs, and a final substring check on the
normalised text removes pairs that matched in different places. The same works for
Latin text, so one scheme serves every language. Normalisation (NFKC, case folding)
makes full-width Latin letters and half-width katakana match their usual forms.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from case_service.domain.errors import Invalid

SEARCH_TEXT_CHARS = 2000
"""How much of a document is searchable (a message's first 2,000 characters)."""
MIN_QUERY_CHARS = 2


class QueryTooShort(Invalid):
    """A query needs at least two characters (one bigram)."""


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace runs collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def bigrams(text: str) -> list[str]:
    """The distinct adjacent pairs of characters of normalised text, within words."""
    seen: dict[str, None] = {}
    for word in text.split(" "):
        for i in range(len(word) - 1):
            seen.setdefault(word[i : i + 2], None)
    return list(seen)


def searchable(parts: Iterable[str | None]) -> dict[str, Any]:
    """The fields a document stores to be found: its normalised text and its bigrams."""
    text = normalise(" ".join(p for p in parts if p))[:SEARCH_TEXT_CHARS]
    return {"search_text": text, "grams": bigrams(text)}


def query_grams(query: str) -> tuple[str, list[str]]:
    """The normalised query and the bigrams a match must hold."""
    text = normalise(query)
    grams = bigrams(text)
    if len(text.replace(" ", "")) < MIN_QUERY_CHARS or not grams:
        raise QueryTooShort(f"search needs at least {MIN_QUERY_CHARS} characters in a word")
    return text, grams
