"""Which interactions become work for an agent, and in which queue they wait.

Pure: no I/O. The walking skeleton queues by channel; skills, capacity, offers and
escalation deepen this module (see the router issue).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Direction,
    Envelope,
    Interaction,
    InteractionKind,
    RoutingChange,
    TaskState,
    derived_event_id,
    routing_event_type,
)

SOURCE = "router"

_QUEUE_BY_CHANNEL = {
    Channel.VOICE: "voice",
    Channel.EMAIL: "email",
}
_DEFAULT_QUEUE = "messaging"
_ROUTABLE_KINDS = frozenset({InteractionKind.MESSAGE, InteractionKind.CALL})


@dataclass(frozen=True, slots=True)
class NewTask:
    task_id: uuid.UUID
    tenant_id: str
    interaction_id: uuid.UUID
    conversation_key: str
    channel: Channel
    queue: str
    priority: int
    entered_at: datetime


def queue_for(interaction: Interaction) -> str:
    """The queue an interaction waits in."""
    return _QUEUE_BY_CHANNEL.get(interaction.channel, _DEFAULT_QUEUE)


def plan_task(event: Envelope[Any]) -> NewTask | None:
    """The task an event creates, or None when it needs no agent."""
    if event.type != INTERACTION_RECEIVED or not isinstance(event.data, Interaction):
        return None
    interaction = event.data
    if (
        interaction.direction is not Direction.INBOUND
        or interaction.kind not in _ROUTABLE_KINDS
        or not interaction.routing_hints.needs_human
    ):
        return None
    return NewTask(
        task_id=derived_event_id(event.id, "task"),
        tenant_id=event.tenant_id,
        interaction_id=event.id,
        conversation_key=interaction.conversation_key,
        channel=interaction.channel,
        queue=queue_for(interaction),
        priority=interaction.routing_hints.priority,
        entered_at=event.recorded_at,
    )


def queued_event(
    task: NewTask, *, position: int, correlation_id: str | None
) -> Envelope[RoutingChange]:
    """Announce that ``task`` waits in its queue at ``position``."""
    return Envelope[RoutingChange](
        id=derived_event_id(task.task_id, TaskState.QUEUED.value),
        type=routing_event_type(TaskState.QUEUED),
        tenant_id=task.tenant_id,
        occurred_at=task.entered_at,
        source=SOURCE,
        correlation_id=correlation_id,
        causation_id=str(task.interaction_id),
        data=RoutingChange(
            task_id=task.task_id,
            interaction_id=task.interaction_id,
            conversation_key=task.conversation_key,
            channel=task.channel,
            state=TaskState.QUEUED,
            queue=task.queue,
            priority=task.priority,
            queue_position=position,
            wait_seconds=0.0,
        ),
    )
