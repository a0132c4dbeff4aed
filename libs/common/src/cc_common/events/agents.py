"""Agent events: presence changes and task actions, published by the case API."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    BREAK = "break"
    WRAP_UP = "wrap_up"


class TaskAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    WRAP_UP = "wrap_up"
    COMPLETE = "complete"
    ESCALATE = "escalate"
    TRANSFER = "transfer"


class AgentPresenceChanged(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: str
    presence: Presence
    reason: str | None = None


class AgentTaskActed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: str
    task_id: uuid.UUID
    action: TaskAction
    target_queue: str | None = None
    target_agent_id: str | None = None
    note: str | None = None
