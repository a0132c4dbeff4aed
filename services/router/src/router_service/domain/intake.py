"""From events to router inputs, and from router changes to events (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Direction,
    Envelope,
    Interaction,
    InteractionKind,
    RoutingChange,
    derived_event_id,
    routing_event_type,
)
from router_service.domain.model import Change

SOURCE = "router"
_ROUTABLE_KINDS = frozenset({InteractionKind.MESSAGE, InteractionKind.CALL})


@dataclass(frozen=True, slots=True)
class WorkRequest:
    """New work an interaction asks for."""

    task_id: str
    interaction_id: str
    conversation_key: str
    customer_ref: str | None
    channel: Channel
    text: str | None
    skills: tuple[str, ...]
    priority: int
    language: str | None = None


def work_request(event: Envelope[Any]) -> WorkRequest | None:
    """The work an event creates, or None when it needs no agent."""
    if event.type != INTERACTION_RECEIVED or not isinstance(event.data, Interaction):
        return None
    interaction = event.data
    hints = interaction.routing_hints
    if (
        interaction.direction is not Direction.INBOUND
        or interaction.kind not in _ROUTABLE_KINDS
        or not hints.needs_human
        or hints.cancels_work
    ):
        return None
    customer = interaction.customer()
    identity = customer.identities[0] if customer and customer.identities else None
    return WorkRequest(
        task_id=str(derived_event_id(event.id, "task")),
        interaction_id=str(event.id),
        conversation_key=interaction.conversation_key,
        customer_ref=f"{identity.kind.value}:{identity.value}" if identity else None,
        channel=interaction.channel,
        text=interaction.content.text if interaction.content else None,
        skills=hints.skills,
        priority=hints.priority,
        language=hints.language or (interaction.content.language if interaction.content else None),
    )


def cancelled_conversation(event: Envelope[Any]) -> str | None:
    """The conversation whose waiting work the customer abandoned, if any."""
    data = event.data
    if isinstance(data, Interaction) and data.routing_hints.cancels_work:
        return data.conversation_key
    return None


def answered_conversation(event: Envelope[Any]) -> tuple[str, str] | None:
    """(conversation, agent) when an agent, perhaps outside this router, answered it."""
    data = event.data
    if isinstance(data, Interaction) and data.routing_hints.answered_by:
        return data.conversation_key, data.routing_hints.answered_by
    return None


def routing_event(
    tenant_id: str, change: Change, *, step: int, correlation_id: str | None
) -> Envelope[RoutingChange]:
    """The event announcing a change; its id is stable for the task's ``step``-th change."""
    return Envelope[RoutingChange](
        id=derived_event_id(uuid.UUID(change.task_id), f"{change.state.value}:{step}"),
        type=routing_event_type(change.state),
        tenant_id=tenant_id,
        occurred_at=datetime.fromtimestamp(change.at, UTC),
        source=SOURCE,
        correlation_id=correlation_id or change.conversation_key,
        causation_id=change.interaction_id,
        data=RoutingChange(
            task_id=uuid.UUID(change.task_id),
            interaction_id=uuid.UUID(change.interaction_id),
            conversation_key=change.conversation_key,
            channel=change.channel,
            state=change.state,
            queue=change.queue,
            priority=change.priority,
            agent_id=change.agent_id,
            queue_position=change.queue_position,
            wait_seconds=change.wait_seconds,
            note=change.note,
            sequence=step,
        ),
    )
