"""Forwarded mail starts a new conversation that links to the old one (pure)."""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|転送|转发)\s*[:\uff1a]", re.IGNORECASE)
"""Only the outermost prefix counts: "Re: Fwd: …" is an answer to a forward."""
_BODY_MARKER = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|転送されたメッセージ|"
    r"Message transféré)\s*-{2,}|Begin forwarded message:)",
    re.IGNORECASE | re.MULTILINE,
)


def is_forward(subject: str | None, text: str | None) -> bool:
    """True when the sender forwarded someone's mail rather than replied."""
    if subject and _PREFIX.match(subject):
        return True
    return bool(text and _BODY_MARKER.search(text))
