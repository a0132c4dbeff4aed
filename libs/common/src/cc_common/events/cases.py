"""Case events the case service publishes (``cc.cases.v1``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


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
