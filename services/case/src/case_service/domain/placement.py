"""Which case a contact joins: its conversation's, reopened, a follow-up, or the
customer's open case on the channel (pure; the record use case carries it out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from case_service.domain.lifecycle import (
    CasePolicy,
    CaseStatus,
    Contact,
    ContactOutcome,
    customer_contact,
    first_case_id,
    follow_up_case_id,
    status_fields,
)
from case_service.domain.model import Case
from case_service.domain.sla import clock_fields, sla_fields
from case_service.domain.surveys import answers_survey


@dataclass(frozen=True, slots=True)
class Placement:
    case: Case
    """The case the contact joins, as it is once the contact is recorded."""
    outcome: ContactOutcome
    created: bool = False
    """``case`` is new: store it (its id is deterministic, so a replay stores it once)."""
    conversation_moves: bool = False
    """The conversation's next contacts join ``case`` (remember the mapping)."""
    returned: bool = False
    """The customer had to come back (no first-contact resolution)."""
    status_change: dict[str, Any] | None = None
    """Fields that move ``case`` to open (it was pending or solved)."""
    previous: Case | None = None
    """With a follow-up case: the case of the conversation it follows."""
    previous_change: dict[str, Any] | None = None
    """Fields that close ``previous`` (it was solved)."""


def new_case(case_id: str, contact: Contact, policy: CasePolicy, follows: str | None) -> Case:
    """The case a contact opens (status new, normal priority, the tenant's SLA)."""
    due = sla_fields(policy.sla, contact.at, "normal")
    return Case(
        id=case_id,
        tenant_id=contact.tenant_id,
        customer_id=contact.customer_id,
        conversation_key=contact.conversation_key,
        channel=contact.channel,
        subject=contact.subject,
        opened_at=contact.at,
        last_activity_at=contact.at,
        follows_case_id=follows,
        **due,
    )


def place_contact(
    contact: Contact, *, current: Case | None, joinable: Case | None, policy: CasePolicy
) -> Placement:
    """Where a contact goes, given its conversation's case (``current``) and, when the
    conversation has none, the customer's active case on the channel that the
    tenant's rules let it join (``joinable``)."""
    if current is None:
        if joinable is not None:
            return Placement(joinable, ContactOutcome.JOIN, conversation_moves=True, returned=True)
        case = new_case(
            first_case_id(contact.tenant_id, contact.conversation_key), contact, policy, None
        )
        return Placement(case, ContactOutcome.JOIN, created=True, conversation_moves=True)
    if not contact.from_customer or answers_survey(current, contact.text, contact.at):
        return Placement(current, ContactOutcome.JOIN)
    outcome = customer_contact(current, contact.at, policy)
    if outcome is ContactOutcome.JOIN:
        return Placement(current, outcome)
    if outcome is ContactOutcome.NEW_CASE:
        case_id = follow_up_case_id(contact.tenant_id, contact.conversation_key, contact.event_id)
        solved = current.status is CaseStatus.SOLVED
        return Placement(
            new_case(case_id, contact, policy, current.id),
            outcome,
            created=True,
            conversation_moves=True,
            previous=current,
            previous_change=status_fields(CaseStatus.CLOSED, contact.at, current)
            if solved
            else None,
        )
    change = {
        **status_fields(CaseStatus.OPEN, contact.at, current),
        **clock_fields(policy.sla, current, CaseStatus.OPEN.value, contact.at),
    }
    return Placement(
        current.model_copy(update={"status": CaseStatus.OPEN}),
        outcome,
        returned=True,
        status_change=change,
    )


def joins_open_case(contact: Contact, policy: CasePolicy) -> bool:
    """Whether a conversation's first contact may join the customer's active case on
    its channel (a call back about the same matter) instead of opening one."""
    return contact.channel in policy.join_open_case_channels
