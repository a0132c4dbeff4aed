"""Routing events: every state change of a task, published by the router."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cc_common.events.interaction import Channel


class TaskState(StrEnum):
    QUEUED = "queued"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class RoutingChange(BaseModel):
    """A task changed state; carries what the case service and dashboards follow."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: uuid.UUID
    interaction_id: uuid.UUID = Field(description="The interaction that created the task.")
    conversation_key: str
    channel: Channel
    state: TaskState
    queue: str
    priority: int = 0
    agent_id: str | None = None
    queue_position: int | None = Field(default=None, ge=1)
    wait_seconds: float | None = Field(default=None, ge=0)
    note: str | None = None
    sequence: int | None = Field(
        default=None, ge=1, description="The task's n-th change: orders changes of one instant."
    )
