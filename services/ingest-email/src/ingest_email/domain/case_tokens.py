"""The case token in subjects, ``[#C-1A2B3C4D]``: threading when headers are lost (pure)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\[#C-([0-9A-F]{8})\]", re.IGNORECASE)


def case_token(case_id: str) -> str:
    """The token of a case (the first 8 hex digits of its id)."""
    return case_id.replace("-", "")[:8].upper()


def token_in(subject: str | None) -> str | None:
    """The case token a subject carries, if any."""
    match = _TOKEN.search(subject or "")
    return match.group(1).upper() if match else None


def with_token(subject: str, token: str) -> str:
    """The subject carrying the token once."""
    if token_in(subject) == token:
        return subject
    return f"{_TOKEN.sub('', subject).strip()} [#C-{token}]".strip()
