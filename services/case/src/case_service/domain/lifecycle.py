"""A case's life: its statuses, who may move it where, and what a new contact does (pure).

new ──agent replies / sets──> open <──> pending (on the customer) / on_hold (on us)
 │                              │
 └──────────────> solved <──────┘    the customer writes within the reopen window:
                    │                solved -> open ("reopened"); after it, or once
                    └──> closed      closed, the contact opens a new case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from case_service.domain.sla import SlaPolicy
from cc_common.events import RoutingChange, TaskState

if TYPE_CHECKING:
    from case_service.domain.model import Case


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    """Waiting on the customer: their next message opens the case again."""
    ON_HOLD = "on_hold"
    """Waiting on a third party or another team: the customer's message does not move it."""
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


ACTIVE = frozenset({CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.ON_HOLD})
"""Statuses of a case that still needs work (the backlog)."""

_AGENT_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.ON_HOLD, CaseStatus.SOLVED}
    ),
    CaseStatus.OPEN: frozenset({CaseStatus.PENDING, CaseStatus.ON_HOLD, CaseStatus.SOLVED}),
    CaseStatus.PENDING: frozenset({CaseStatus.OPEN, CaseStatus.ON_HOLD, CaseStatus.SOLVED}),
    CaseStatus.ON_HOLD: frozenset({CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.SOLVED}),
    CaseStatus.SOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

_CASE_NAMESPACE = uuid.UUID("0b8f1d0c-2f6c-4c39-a1c6-7f1f4c2f9b11")


class TransitionRefused(ValueError):
    """The status cannot be reached from the case's current one."""


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    """Raise unless an agent may move a case from ``current`` to ``target``."""
    if target == current:
        return
    if target not in _AGENT_MOVES[current]:
        allowed = ", ".join(sorted(_AGENT_MOVES[current])) or "none (closed is final)"
        raise TransitionRefused(
            f"a {current.value} case cannot become {target.value}; allowed: {allowed}"
        )


def first_case_id(tenant_id: str, conversation_key: str) -> str:
    """The first case of a conversation (deterministic, so replays agree)."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{tenant_id}\x1f{conversation_key}"))


def follow_up_case_id(tenant_id: str, conversation_key: str, event_id: str) -> str:
    """A later case of a conversation, named by the event that opened it."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{tenant_id}\x1f{conversation_key}\x1f{event_id}"))


class ContactOutcome(StrEnum):
    JOIN = "join"
    """The case takes the contact as it is."""
    REOPEN = "reopen"
    """A solved case within the reopen window: it opens again."""
    ANSWERED = "answered"
    """A case pending on the customer: the customer answered, it is open again."""
    NEW_CASE = "new_case"
    """Closed, or solved too long ago: the contact starts a new case."""


@dataclass(frozen=True, slots=True)
class CasePolicy:
    """A tenant's case rules."""

    reopen_window: timedelta = timedelta(days=3)
    join_open_case_channels: frozenset[str] = frozenset({"voice", "sms"})
    """Channels whose contacts join the customer's open case on that channel when
    their conversation has none (a call back about the same matter), instead of
    opening a new one."""
    sla: SlaPolicy | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer's (or our) contact on a conversation, as the case consumer sees it."""

    tenant_id: str
    customer_id: str
    conversation_key: str
    channel: str
    subject: str | None
    at: datetime
    event_id: str
    from_customer: bool
    """An inbound message or call: it may reopen a case or start a new one."""
    text: str | None = None
    """The message's text (a survey answer joins its solved case without reopening it)."""


def customer_contact(case: Case, at: datetime, policy: CasePolicy) -> ContactOutcome:
    """What the customer writing (or calling) at ``at`` does to their conversation's case."""
    status = case.status
    if status is CaseStatus.CLOSED:
        return ContactOutcome.NEW_CASE
    if status is CaseStatus.SOLVED:
        solved_at = case.solved_at
        if solved_at is not None and at - solved_at > policy.reopen_window:
            return ContactOutcome.NEW_CASE
        return ContactOutcome.REOPEN
    if status is CaseStatus.PENDING:
        return ContactOutcome.ANSWERED
    return ContactOutcome.JOIN


def status_fields(target: CaseStatus, at: datetime, case: Case) -> dict[str, Any]:
    """The fields a move to ``target`` sets (timestamps the KPIs are computed from)."""
    fields: dict[str, Any] = {"status": target.value}
    if target is CaseStatus.SOLVED:
        fields["solved_at"] = at
    if target is CaseStatus.CLOSED:
        fields["closed_at"] = at
    if target is CaseStatus.OPEN and case.status is CaseStatus.SOLVED:
        fields["reopened_at"] = at
    return fields


def assignee_after(change: RoutingChange) -> str | None:
    """The agent a routing change makes the case's assignee: the one who accepted its
    task (a transfer accepted by a colleague hands the case over too); None for every
    other change. The desk's live updates and the agent KPIs follow the assignee."""
    if change.state is TaskState.ACCEPTED and change.agent_id:
        return change.agent_id
    return None
