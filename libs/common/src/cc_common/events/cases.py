"""Case events the case service publishes (``cc.cases.v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CaseSlaBreached(BaseModel):
    """A case missed a service-level target (first response or resolution)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    customer_id: str
    target: Literal["first_response", "resolution"]
    due_at: datetime
    priority: str
    channel: str
    queue: str | None = None
    assignee_id: str | None = None


class CaseChanged(BaseModel):
    """Something new on a case: an interaction, a note, an edit, a reply, a status.

    For live views and integrations: it names the case and what changed, with the
    entry's short summary; the entry itself is read from the case API.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    customer_id: str
    entry_id: str | None = None
    change: str = Field(max_length=64, description="The entry's kind: message, note, case.*.")
    summary: str | None = Field(default=None, max_length=300)
    channel: str
    status: str
    assignee_id: str | None = None
    queue: str | None = None
    actor: str | None = Field(default=None, description="Who changed it; None: the customer.")
