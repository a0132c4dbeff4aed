"""Satisfaction surveys after a case is solved: what to ask, and reading the answer
from the customer's reply (pure).

An answer is a reply that is only a score: ``5``, full-width five, ``5点``, ``★4``,
``9/10``, or a button's payload ``csat:5`` / ``nps:9`` (channels with quick replies
send the payload as the text). Anything else is a message, not an answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from case_service.domain.model import Case

SURVEY_DAYS = 7
"""How long after the survey a score in the customer's reply still counts."""
RANGES = {"csat": (1, 5), "nps": (0, 10)}
_ANSWER = re.compile(
    r"^(?:(?P<kind>csat|nps):)?[\s★☆*]*(?P<score>\d{1,2})\s*(?:点|/\s*(?:5|10)|です|!|。|\.)?\s*$"
)
_QUESTIONS = {
    (
        "csat",
        "ja",
    ): "このたびのご対応はいかがでしたか。1（不満）〜5（満足）の数字でご返信ください。",
    ("csat", "en"): "How did we do? Reply with a number from 1 (poor) to 5 (excellent).",
    (
        "nps",
        "ja",
    ): "当社を友人や同僚に薦める可能性は、0〜10のどれくらいですか。数字でご返信ください。",
    (
        "nps",
        "en",
    ): "How likely are you to recommend us to a friend, from 0 to 10? Reply with the number.",
}


@dataclass(frozen=True, slots=True)
class SurveyRule:
    """A tenant's survey: CSAT (1-5) or NPS (0-10), its wording per language (ours by
    default), and the WhatsApp template to send it in outside the 24-hour window."""

    kind: str = "csat"
    questions: tuple[tuple[str, str], ...] = ()
    """(language, question) pairs that replace ours."""
    whatsapp_template: str | None = None
    whatsapp_template_language: str = "ja"


def question(rule: SurveyRule, language: str | None) -> str:
    """The question in the customer's language (Japanese when unknown or other)."""
    wanted = "en" if (language or "").lower().startswith("en") else "ja"
    own = dict(rule.questions)
    return own.get(wanted) or _QUESTIONS[(rule.kind, wanted)]


def parse_score(text: str, kind: str) -> int | None:
    """The score a reply gives, or None when the reply is not an answer."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    match = _ANSWER.match(folded)
    if not match:
        return None
    if match.group("kind") and match.group("kind") != kind:
        return None
    score = int(match.group("score"))
    low, high = RANGES[kind]
    return score if low <= score <= high else None


def still_open(sent_at: datetime, now: datetime) -> bool:
    return now - sent_at <= timedelta(days=SURVEY_DAYS)


def answers_survey(case: Case, text: str | None, at: datetime) -> int | None:
    """The score, when ``text`` answers the case's open survey (it joins the solved
    case as it is, not reopening it); None otherwise."""
    survey = case.survey
    if not survey or survey.get("answered_at") or not text or "sent_at" not in survey:
        return None
    if not still_open(survey["sent_at"], at):
        return None
    return parse_score(text, survey.get("kind", "csat"))
