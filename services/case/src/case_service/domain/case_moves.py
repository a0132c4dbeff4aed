"""Merging two cases of a customer and splitting entries off into a new one (pure rules).

Moved entries keep a trace (``moved_from``), the merged case's conversations join
the surviving one, and the merged case is closed with ``merged_into``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from case_service.domain.errors import Refused
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.model import Case

MOVABLE = ("interaction", "reply", "note", "routing", "callback")
"""Entry types that may move between cases (case and customer events stay)."""


class MoveRefused(Refused):
    """The merge or split is not allowed (the message says why)."""


@dataclass(frozen=True, slots=True)
class MovingEntry:
    """What a split needs to know of an entry it moves."""

    entry_type: str
    occurred_at: datetime
    channel: str


def check_merge(source: Case, target: Case) -> None:
    """Raise unless ``source`` may be merged into ``target``."""
    if source.id == target.id:
        raise MoveRefused("a case cannot be merged into itself")
    if source.customer_id != target.customer_id:
        raise MoveRefused("the cases belong to different customers: merge the customers first")
    for case in (source, target):
        if case.status is CaseStatus.CLOSED:
            raise MoveRefused(f"case {case.id} is closed")


def split_off(
    case: Case,
    entries: list[MovingEntry],
    *,
    asked: int,
    new_id: str,
    subject: str | None,
    at: datetime,
) -> Case:
    """The new case that ``entries`` of ``case`` move to (``asked``: how many were named)."""
    if case.status is CaseStatus.CLOSED:
        raise MoveRefused("the case is closed")
    if len(entries) != asked:
        raise MoveRefused("every entry must be on this case")
    if any(e.entry_type not in MOVABLE for e in entries):
        raise MoveRefused("only messages, calls, replies, notes and routing entries move")
    first = min(entries, key=lambda e: e.occurred_at)
    return Case(
        id=new_id,
        tenant_id=case.tenant_id,
        customer_id=case.customer_id,
        conversation_key=case.conversation_key,
        channel=first.channel,
        subject=subject or case.subject,
        status=CaseStatus.OPEN,
        priority=case.priority,
        opened_at=first.occurred_at,
        last_activity_at=at,
        split_from=case.id,
    )
