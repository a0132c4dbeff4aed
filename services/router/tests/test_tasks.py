"""Which interactions become tasks, and in which queue (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cc_common.events import (
    INTERACTION_RECEIVED,
    INTERACTION_UPDATED,
    Channel,
    Direction,
    Envelope,
    Interaction,
    InteractionKind,
    RoutingHints,
    TaskState,
)
from router_service.domain.tasks import plan_task, queued_event


def received(**fields: object) -> Envelope[Interaction]:
    data: dict[str, object] = {
        "channel": Channel.WEBCHAT,
        "direction": Direction.INBOUND,
        "provider": "webchat",
        "conversation_key": "webchat:1",
    }
    data.update(fields)
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="test",
        data=Interaction(**data),
    )


@pytest.mark.parametrize(
    ("channel", "queue"),
    [(Channel.VOICE, "voice"), (Channel.EMAIL, "email"), (Channel.LINE, "messaging")],
)
def test_inbound_messages_are_queued_by_channel(channel: Channel, queue: str) -> None:
    event = received(channel=channel)
    task = plan_task(event)
    assert task is not None
    assert task.queue == queue
    assert task.interaction_id == event.id
    assert plan_task(event) == task, "the same event always plans the same task"


@pytest.mark.parametrize(
    "fields",
    [
        {"direction": Direction.OUTBOUND},
        {"kind": InteractionKind.AUTO_REPLY},
        {"kind": InteractionKind.STATUS},
        {"kind": InteractionKind.BOUNCE},
        {"routing_hints": RoutingHints(needs_human=False)},
    ],
)
def test_work_no_agent_needs_is_not_queued(fields: dict[str, object]) -> None:
    assert plan_task(received(**fields)) is None


def test_updates_do_not_create_tasks() -> None:
    event = received()
    updated = event.model_copy(update={"type": INTERACTION_UPDATED})
    assert plan_task(updated) is None


def test_queued_event_is_deterministic_and_points_back() -> None:
    event = received(routing_hints=RoutingHints(priority=7))
    task = plan_task(event)
    assert task is not None
    first = queued_event(task, position=3, correlation_id="c")
    again = queued_event(task, position=3, correlation_id="c")
    assert first.id == again.id
    assert first.type == "task.queued"
    assert first.data.state is TaskState.QUEUED
    assert first.data.queue_position == 3
    assert first.data.priority == 7
    assert first.causation_id == str(event.id)
