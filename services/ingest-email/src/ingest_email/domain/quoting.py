"""Separating what the customer just wrote from the history they quoted (pure).

Mail clients mark the quoted history in a handful of ways: ``>`` prefixes, an
attribution line ("On … wrote:", "2026年11月23日(月) 10:00 山田 <…>:", "Am … schrieb"),
an Outlook separator ("-----Original Message-----", "From:/Sent:" blocks,
"差出人:/送信日時:"). The first marker below some new text starts the history.
A forwarded message is content, not history: its marker does not split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(
    r"""^(
        (On\s.+\swrote:?)
      | (Le\s.+\sa\sécrit\s?:)
      | (Am\s.+\sschrieb.*:)
      | (El\s.+\sescribió:)
      | (\d{4}[年/.-]\s?\d{1,2}[月/.-]\s?\d{1,2}.*(wrote|書きました|:|\uff1a))
      | (.*<[^<>@\s]+@[^<>\s]+>\s*(wrote|のメッセージ|:|\uff1a).*)
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|元のメッセージ|"
    r"Message d'origine)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^\s*\*?(From|差出人|送信者|Von|De)\s*[:\uff1a]", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(
    r"^\s*\*?(Sent|Date|送信日時|日付|Gesendet|Envoyé|To|宛先|Subject|件名)\s*[:\uff1a]",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SplitText:
    new: str
    quoted: str | None


def split_quoted(text: str) -> SplitText:
    """The new text and the quoted history; the whole text when nothing new is found."""
    lines = text.splitlines()
    cut = _first_history_line(lines)
    if cut is None:
        return SplitText(text.strip(), None)
    new = "\n".join(lines[:cut]).strip()
    quoted = "\n".join(lines[cut:]).strip()
    if not new:
        # All history (or a client that quotes above): keep everything readable.
        return SplitText(text.strip(), None)
    return SplitText(new, quoted or None)


def _first_history_line(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped):
            return index
        if _HEADER_BLOCK.match(stripped) and _followed_by_header(lines, index):
            return index
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        attribution = _ATTRIBUTION.match(stripped) or (
            stripped.lower().startswith("on ") and _ATTRIBUTION.match(joined)
        )
        if attribution and _quote_follows(lines, index):
            return index
        if stripped.startswith(">") and _rest_is_quoted(lines, index):
            return index
    return None


def _followed_by_header(lines: list[str], index: int) -> bool:
    return any(_HEADER_FOLLOW.match(line) for line in lines[index + 1 : index + 4])


def _quote_follows(lines: list[str], index: int) -> bool:
    """An attribution counts when history follows it (quoted lines or more text)."""
    rest = [line for line in lines[index + 1 :] if line.strip()]
    return bool(rest)


def _rest_is_quoted(lines: list[str], index: int) -> bool:
    """A ``>`` block starts the history when little unquoted text follows it."""
    rest = [line for line in lines[index:] if line.strip()]
    quoted = sum(1 for line in rest if line.lstrip().startswith(">"))
    return quoted >= len(rest) * 0.8
