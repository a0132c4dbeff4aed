"""HTTP schemas of the case API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from case_service.domain.lifecycle import CaseStatus, Priority


class IdentityRead(BaseModel):
    kind: str
    value: str


class CustomerRead(BaseModel):
    id: str
    display_name: str | None = None
    created_at: datetime
    last_seen_at: datetime | None = None
    identities: list[IdentityRead]
    language: str | None = None
    tier: str | None = None
    vip: bool = False
    consent: dict[str, bool] = {}
    attributes: dict[str, Any] = {}
    merged_into: str | None = Field(
        default=None, description="Set when this customer was merged into another."
    )
    version: int = Field(default=1, description="Also the ETag; send it in If-Match to edit.")


class CaseRead(BaseModel):
    id: str
    customer_id: str
    channel: str
    subject: str | None = None
    status: str
    priority: str = "normal"
    queue: str | None = None
    assignee_id: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    opened_at: datetime
    conversation_key: str | None = None
    last_activity_at: datetime | None = None
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    reopen_count: int = 0
    follows_case_id: str | None = Field(
        default=None, description="The closed case of the same conversation this one follows."
    )
    csat: dict[str, Any] | None = None
    knowledge_used: list[dict[str, Any]] = Field(
        default_factory=list, description="Knowledge articles an agent answered with."
    )
    survey: dict[str, Any] | None = Field(
        default=None, description="The satisfaction survey sent when solved, and its answer."
    )
    merged_into: str | None = None
    split_from: str | None = None
    sla: dict[str, Any] | None = Field(
        default=None,
        description="first_response/resolution due times and, once missed, breached_at.",
    )
    reply_to: dict[str, Any] | None = None
    last_inbound_at: datetime | None = Field(
        default=None, description="When the customer last wrote (WhatsApp's 24-hour window)."
    )
    version: int = Field(default=1, description="Also the ETag; send it in If-Match to edit.")


Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\s$.]+$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
FieldValue = Annotated[str, StringConstraints(max_length=2000)] | int | float | bool | None


class CustomerUpdate(BaseModel):
    """Only the fields sent change; ``consent`` and ``attributes`` merge (null clears one)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP 47."
    )
    tier: str | None = Field(default=None, max_length=32)
    vip: bool | None = None
    consent: dict[FieldName, bool | None] | None = Field(
        default=None, max_length=50, description="e.g. marketing_email, marketing_sms."
    )
    attributes: dict[FieldName, FieldValue] | None = Field(default=None, max_length=100)


class CaseUpdate(BaseModel):
    """Only the fields sent change; ``custom_fields`` merge (null clears one)."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    priority: Priority | None = None
    queue: str | None = Field(default=None, max_length=63)
    assignee_id: str | None = Field(default=None, max_length=128)
    tags: list[Tag] | None = Field(default=None, max_length=50)
    custom_fields: dict[FieldName, FieldValue] | None = Field(default=None, max_length=100)
    subject: str | None = Field(default=None, max_length=500)


class CaseMergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_case_id: str = Field(max_length=64, description="The case that joins this one.")
    reason: str = Field(min_length=1, max_length=1000)


class CaseSplitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_ids: list[Annotated[str, StringConstraints(max_length=128)]] = Field(
        min_length=1, max_length=500, description="Entries of this case to move."
    )
    subject: str | None = Field(default=None, max_length=500)


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)


class TypingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = Field(default=True, description="False: stopped typing.")


class PresenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["viewing", "drafting", "left"]


class CaseHolder(BaseModel):
    agent_id: str
    state: Literal["viewing", "drafting"]
    since: datetime


class CsatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: str | None = Field(default=None, max_length=5000)


class TimelineEntryRead(BaseModel):
    id: str
    entry_type: str
    kind: str
    channel: str
    direction: str | None = None
    case_id: str | None = None
    customer_id: str | None = None
    conversation_key: str
    occurred_at: datetime
    summary: str | None = None
    interaction: dict[str, Any] | None = None
    routing: dict[str, Any] | None = None
    trace_id: str | None = None
    call: dict[str, Any] | None = None
    callback: dict[str, Any] | None = None
    reply: dict[str, Any] | None = None
    note: dict[str, Any] | None = None
    case_change: dict[str, Any] | None = None
    merge: dict[str, Any] | None = None


class TimelinePage(BaseModel):
    items: list[TimelineEntryRead]
    next_cursor: str | None = None
