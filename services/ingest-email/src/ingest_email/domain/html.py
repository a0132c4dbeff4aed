"""HTML bodies: sanitised for display, converted to text for reading and search (pure).

nh3 (the Rust ammonia sanitiser) removes scripts, event handlers and unknown
tags; inscriptis renders the text with the layout a reader expects (lists,
tables, paragraphs) instead of one run-on line.
"""

from __future__ import annotations

import re

import nh3
from inscriptis import get_text

_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_BLANK_RUNS = re.compile(r"\n{3,}")


def sanitise(html: str) -> str:
    """HTML safe to show in an agent's browser (inline images keep their ``cid:`` links)."""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")


def to_text(html: str) -> str:
    """Readable plain text of an HTML body."""
    text = get_text(html)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
