"""Internal notes on a case: never sent to the customer, may mention colleagues (pure)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from case_service.domain.model import CaseRef
from case_service.domain.search import searchable

SUMMARY_CHARS = 280
# An agent id after "@" at a word start: letters, digits and . _ - (e.g. @ana.sato, @agent-7).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")


def mentions(text: str) -> list[str]:
    """The agent ids a note mentions, in order, once each (a trailing dot is punctuation)."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        agent_id = match.group(1).rstrip("._-")
        if agent_id and agent_id not in found:
            found.append(agent_id)
    return found


def note_entry(
    case: CaseRef, *, note_id: uuid.UUID, author: str, text: str, at: datetime
) -> dict[str, Any]:
    """The timeline document of an internal note."""
    return {
        "_id": str(note_id),
        "tenant_id": case.tenant_id,
        "customer_id": case.customer_id,
        "case_id": case.id,
        "occurred_at": at,
        "recorded_at": at,
        "order": 0,
        "entry_type": "note",
        "kind": "note",
        "channel": case.channel,
        "conversation_key": case.conversation_key or "",
        "summary": text[:SUMMARY_CHARS],
        "note": {"author": author, "text": text, "mentions": mentions(text)},
        **searchable([text]),
    }
