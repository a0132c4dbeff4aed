"""Knowledge articles suggested for a case: BM25 over the words of Latin text and the
character bigrams of Japanese (pure).

Japanese has no spaces, so its runs of kanji and katakana are cut into bigrams, as the
search does (``domain/search.py``); bigrams of hiragana alone (です, ます, ください)
are grammar, not topic, and are left out. Latin text is cut into words, lower-cased,
a plural ``s`` dropped, and common function words left out. An article's title and
keywords count twice: agents write them to be found.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from case_service.domain.search import normalise

_RUN = re.compile(r"[a-z0-9]+|[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u30fc]+")
_HIRAGANA = re.compile(r"^[\u3040-\u309f\u30fc]+$")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "please",
        "hello",
        "hi",
        "there",
    ]
)
K1 = 1.5
B = 0.75
SUGGESTED = 3


def tokens(text: str) -> list[str]:
    """The terms of ``text`` (with repeats: BM25 counts them)."""
    terms: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if run.isascii():
            if run in _STOP or len(run) < 2:
                continue
            terms.append(
                run[:-1] if len(run) > 3 and run.endswith("s") and not run.endswith("ss") else run
            )
            continue
        if len(run) == 1:
            continue
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if not _HIRAGANA.match(pair):
                terms.append(pair)
    return terms


@dataclass(frozen=True, slots=True)
class Article:
    """What ranking needs of a published article."""

    id: str
    title: str
    body: str
    keywords: tuple[str, ...] = ()

    def terms(self) -> list[str]:
        heading = " ".join((self.title, *self.keywords))
        return tokens(heading) * 2 + tokens(self.body)


def rank(
    query: str, articles: Sequence[Article], *, limit: int = SUGGESTED
) -> list[tuple[str, float]]:
    """The ``limit`` articles that best answer ``query``, best first, with their BM25
    scores; articles sharing no term with it are not suggested."""
    wanted = Counter(tokens(query))
    if not wanted or not articles:
        return []
    documents = [Counter(article.terms()) for article in articles]
    lengths = [sum(doc.values()) for doc in documents]
    average = sum(lengths) / len(lengths) or 1.0
    frequency = Counter(term for doc in documents for term in doc)
    total = len(documents)
    scored = []
    for article, doc, length in zip(articles, documents, lengths, strict=True):
        score = 0.0
        for term in wanted:
            count = doc.get(term, 0)
            if not count:
                continue
            idf = math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * count * (K1 + 1) / (count + K1 * (1 - B + B * length / average))
        if score > 0:
            scored.append((article.id, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]


def recall_at(k: int, ranked: Iterable[tuple[list[str], str]]) -> float:
    """The share of questions whose right article is among the first ``k`` suggested
    (``ranked``: each question's suggestions and its right answer)."""
    results = [answer in suggested[:k] for suggested, answer in ranked]
    return sum(results) / len(results) if results else 0.0
