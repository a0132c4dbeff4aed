"""An agent's edit of a case: what it changes, whether it may, what the timeline says (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from case_service.domain.errors import Invalid
from case_service.domain.lifecycle import (
    CaseStatus,
    TransitionRefused,
    check_transition,
    status_fields,
)
from case_service.domain.model import Case
from case_service.domain.search import searchable

EDITABLE = ("status", "priority", "queue", "assignee_id", "tags", "subject")


class EditRefused(Invalid):
    """The edit is not allowed on this case."""


@dataclass(frozen=True, slots=True)
class EditPlan:
    fields: dict[str, Any]
    """What to $set on the case document."""
    changes: dict[str, list[Any]]
    """field -> [before, after], for the timeline and the audit."""
    kind: str
    summary: str


def plan_edit(case: Case, patch: dict[str, Any], *, at: datetime) -> EditPlan:
    """Turn a PATCH body into the case fields to set.

    ``custom_fields`` merge (a null value clears one); the rest replace.
    """
    if case.status is CaseStatus.CLOSED:
        raise EditRefused("the case is closed; a new contact opens a new case")
    fields: dict[str, Any] = {}
    changes: dict[str, list[Any]] = {}
    for name in EDITABLE:
        if name not in patch:
            continue
        before, after = getattr(case, name), patch[name]
        if name == "tags" and after is not None:
            after = sorted(set(after))
        if after == before:
            continue
        fields[name] = after
        changes[name] = [before, after]
    for name, value in (patch.get("custom_fields") or {}).items():
        before = case.custom_fields.get(name)
        if value == before:
            continue
        fields[f"custom_fields.{name}"] = value
        changes[f"custom_fields.{name}"] = [before, value]
    if "subject" in changes:
        fields.update(searchable([fields["subject"]]))
    if "status" in changes:
        target = CaseStatus(fields["status"])
        try:
            check_transition(case.status, target)
        except TransitionRefused as exc:
            raise EditRefused(str(exc)) from exc
        fields.update(status_fields(target, at, case))
    return EditPlan(fields=fields, changes=changes, kind=_kind(changes), summary=_summary(changes))


def _kind(changes: dict[str, list[Any]]) -> str:
    if "status" in changes:
        return f"case.{changes['status'][1]}"
    if set(changes) == {"assignee_id"}:
        return "case.assigned"
    return "case.updated"


def _summary(changes: dict[str, list[Any]]) -> str:
    parts = []
    for name, (before, after) in changes.items():
        if name == "tags":
            parts.append("tags: " + (", ".join(after) if after else "none"))
        else:
            parts.append(f"{name.replace('_', ' ')}: {before or '-'} -> {after or '-'}")
    return "; ".join(parts)
