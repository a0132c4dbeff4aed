"""The case consumer: interactions and routing changes, recorded by ContactRecorder."""

from __future__ import annotations

from typing import Any

from case_service.service.contact_recorder import ContactRecorder
from cc_common.events import (
    INTERACTION_RECEIVED,
    Envelope,
    Interaction,
    OutboundFailed,
    RoutingChange,
)
from cc_common.kafka.consumer import Delivery


def conversation_order(event: Envelope[Any]) -> str:
    """Order key: one sequence per conversation of a tenant."""
    conversation = getattr(event.data, "conversation_key", "")
    return f"{event.tenant_id}|{conversation}"


class ContactConsumer:
    def __init__(self, recorder: ContactRecorder) -> None:
        self._recorder = recorder

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event.data, Interaction) and event.type == INTERACTION_RECEIVED:
            await self._recorder.record_interaction(event)
        elif isinstance(event.data, RoutingChange):
            await self._recorder.record_routing(event)
        elif isinstance(event.data, OutboundFailed):
            await self._recorder.record_failed_reply(event)
