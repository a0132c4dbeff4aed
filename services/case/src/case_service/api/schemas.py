"""HTTP schemas of the case API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class IdentityRead(BaseModel):
    kind: str
    value: str


class CustomerRead(BaseModel):
    id: str
    display_name: str | None = None
    created_at: datetime
    last_seen_at: datetime | None = None
    identities: list[IdentityRead]


class CaseRead(BaseModel):
    id: str
    customer_id: str
    channel: str
    subject: str | None = None
    status: str
    opened_at: datetime
    conversation_key: str | None = None
    last_activity_at: datetime | None = None
    reply_to: dict[str, Any] | None = None


class TimelineEntryRead(BaseModel):
    id: str
    entry_type: str
    kind: str
    channel: str
    direction: str | None = None
    case_id: str
    conversation_key: str
    occurred_at: datetime
    summary: str | None = None
    interaction: dict[str, Any] | None = None
    routing: dict[str, Any] | None = None
    trace_id: str | None = None
    call: dict[str, Any] | None = None
    callback: dict[str, Any] | None = None
    reply: dict[str, Any] | None = None


class TimelinePage(BaseModel):
    items: list[TimelineEntryRead]
    next_cursor: str | None = None
