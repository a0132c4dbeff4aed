"""Which interactions become work, and how changes become events (pure)."""

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
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    TaskState,
)
from router_service.domain.intake import cancelled_conversation, routing_event, work_request
from router_service.domain.model import Change


def received(**fields: object) -> Envelope[Interaction]:
    data: dict[str, object] = {
        "channel": Channel.WEBCHAT,
        "direction": Direction.INBOUND,
        "provider": "webchat",
        "conversation_key": "webchat:1",
        "parties": (
            Party(
                role=PartyRole.CUSTOMER,
                identities=(Identity(kind=IdentityKind.EMAIL, value="a@b.c"),),
            ),
        ),
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


def test_inbound_messages_are_work_with_a_stable_task_id() -> None:
    event = received(routing_hints=RoutingHints(skills=("billing",), priority=3))
    request = work_request(event)
    assert request is not None
    assert request == work_request(event)
    assert request.interaction_id == str(event.id)
    assert request.customer_ref == "email:a@b.c"
    assert request.skills == ("billing",)
    assert request.priority == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"direction": Direction.OUTBOUND},
        {"kind": InteractionKind.AUTO_REPLY},
        {"kind": InteractionKind.STATUS},
        {"kind": InteractionKind.BOUNCE},
        {"routing_hints": RoutingHints(needs_human=False)},
        {"routing_hints": RoutingHints(cancels_work=True)},
    ],
)
def test_work_no_agent_needs_is_not_requested(fields: dict[str, object]) -> None:
    assert work_request(received(**fields)) is None


def test_updates_are_not_work_and_hang_ups_cancel() -> None:
    event = received()
    assert work_request(event.model_copy(update={"type": INTERACTION_UPDATED})) is None
    assert cancelled_conversation(event) is None
    hang_up = received(routing_hints=RoutingHints(cancels_work=True))
    assert cancelled_conversation(hang_up) == "webchat:1"


def test_routing_events_have_stable_ids_per_step() -> None:
    task_id, interaction_id = str(uuid.uuid4()), str(uuid.uuid4())
    change = Change(
        task_id=task_id,
        interaction_id=interaction_id,
        conversation_key="c",
        channel=Channel.VOICE,
        state=TaskState.OFFERED,
        queue="voice",
        priority=1,
        at=1_800_000_000.0,
        step=2,
        agent_id="ana",
        wait_seconds=3.0,
    )
    first = routing_event("acme", change, step=2, correlation_id=None)
    assert first.id == routing_event("acme", change, step=2, correlation_id=None).id
    assert first.id != routing_event("acme", change, step=3, correlation_id=None).id
    assert first.type == "task.offered"
    assert first.data.agent_id == "ana"
    assert str(first.causation_id) == interaction_id
