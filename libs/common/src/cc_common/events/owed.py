"""Events a stored document owes the broker, kept in the document itself (the fields of
the transactional outbox, see :mod:`cc_common.outbox` for the relay that publishes them).

Pure: domain code builds documents that owe events with :func:`owing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_common.events.envelope import Envelope
from cc_common.events.registry import event_from_json

PENDING = "outbox_pending"
EVENTS = "outbox_events"
SINCE = "outbox_since"
TRIES = "outbox_tries"
ERROR = "outbox_error"
QUARANTINED = "outbox_quarantined"


@dataclass(frozen=True, slots=True)
class Owed:
    """An event a document owes, and the topic it goes to."""

    topic: str
    event: Envelope[Any]


def owing(owed: Sequence[Owed], *, since: datetime) -> dict[str, Any]:
    """The fields that make a document owe ``owed``, in order; write them with the change."""
    return {
        EVENTS: [{"topic": o.topic, "event": o.event.model_dump(mode="json")} for o in owed],
        PENDING: True,
        SINCE: since,
    }


def owed_in(doc: Mapping[str, Any]) -> list[Owed]:
    """The events a stored document still owes, in the order they were written."""
    if not doc.get(PENDING):
        return []
    return [Owed(item["topic"], event_from_json(item["event"])) for item in doc.get(EVENTS, [])]
