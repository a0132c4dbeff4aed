"""The case service's model: what a case is, apart from how it is stored or shown.

Adapters map documents to these and back; use cases and domain rules take and
return them; the API encodes them. Sections whose shape belongs to another part
(the SLA due times, the CSAT rating, the reply address) stay small typed dicts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from case_service.domain.lifecycle import CaseStatus


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CaseRef(_Model):
    """Which case an entry or an announcement is about (all a timeline entry needs)."""

    id: str
    tenant_id: str
    customer_id: str
    channel: str
    conversation_key: str | None = None


class Case(CaseRef):
    """A matter of one customer, worked until solved; agents edit it with its version."""

    subject: str | None = None
    status: CaseStatus = CaseStatus.NEW
    priority: str = "normal"
    queue: str | None = None
    assignee_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    opened_at: datetime
    last_activity_at: datetime | None = None
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    reopen_count: int = 0
    customer_returns: int = 0
    follows_case_id: str | None = None
    split_from: str | None = None
    merged_into: str | None = None
    csat: dict[str, Any] | None = None
    survey: dict[str, Any] | None = None
    """The satisfaction survey sent when it was solved: kind, sent_at, reply_id and,
    once the customer answered, answered_at and score."""
    knowledge_used: list[dict[str, Any]] = Field(default_factory=list)
    """Knowledge articles an agent answered with (article id, title, version, who, when)."""
    sla: dict[str, datetime | None] | None = None
    """``{target}_due_at`` and, once missed, ``{target}_breached_at``."""
    sla_check_at: datetime | None = None
    reply_to: dict[str, Any] | None = None
    """The identity replies go to (the customer's last inbound message's sender)."""
    last_inbound_message_id: str | None = None
    last_inbound_at: datetime | None = None
    version: int = 1
    """Counts agent-visible edits: the ETag an edit must name."""

    @property
    def ref(self) -> CaseRef:
        return CaseRef(
            id=self.id,
            tenant_id=self.tenant_id,
            customer_id=self.customer_id,
            channel=self.channel,
            conversation_key=self.conversation_key,
        )


class CustomerIdentity(_Model):
    kind: str
    value: str


class Customer(_Model):
    """A person, known by one or more identities across channels."""

    id: str
    tenant_id: str
    display_name: str | None = None
    created_at: datetime
    last_seen_at: datetime | None = None
    identities: list[CustomerIdentity] = Field(default_factory=list)
    language: str | None = None
    tier: str | None = None
    vip: bool = False
    consent: dict[str, bool] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)
    merged_into: str | None = None
    version: int = 1


class TimelineEntry(_Model):
    """One thing on a customer's timeline: a message, call, reply, note, routing or
    case change. Each kind carries its own section."""

    id: str
    tenant_id: str
    customer_id: str | None = None
    case_id: str | None = None
    entry_type: str
    kind: str
    channel: str
    direction: str | None = None
    conversation_key: str = ""
    occurred_at: datetime
    recorded_at: datetime | None = None
    order: int = 0
    summary: str | None = None
    trace_id: str | None = None
    interaction: dict[str, Any] | None = None
    routing: dict[str, Any] | None = None
    call: dict[str, Any] | None = None
    callback: dict[str, Any] | None = None
    reply: dict[str, Any] | None = None
    note: dict[str, Any] | None = None
    case_change: dict[str, Any] | None = None
    merge: dict[str, Any] | None = None
