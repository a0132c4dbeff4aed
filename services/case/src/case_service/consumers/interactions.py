"""The case consumer: interactions and routing changes, a batch at a time
(ContactBatchRecorder), or one at a time (ContactRecorder) when a batch fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from case_service.service.contact_batch import ContactBatchRecorder
from case_service.service.contact_recorder import ContactRecorder
from cc_common.events import Envelope
from cc_common.kafka.consumer import Delivery
from cc_common.tracing import trace_id_of


def whole_batch(event: Envelope[Any]) -> str:
    """Order key putting a consumer batch in one group: the batch recorder keeps each
    partition's order itself and writes the batch with one bulk write per collection."""
    return ""


Settle = Callable[[], Awaitable[None]]
"""Waits until the announcements made while handling are acknowledged (raising
BrokerUnavailable while they are not), so the runner commits only what was announced."""


async def _nothing_to_settle() -> None:
    return None


class ContactConsumer:
    """One delivery at a time."""

    def __init__(self, recorder: ContactRecorder, settle: Settle = _nothing_to_settle) -> None:
        self._recorder = recorder
        self._settle = settle

    async def __call__(self, delivery: Delivery) -> None:
        await self._recorder.record(delivery.event)
        await self._settle()


class ContactBatchConsumer:
    """A batch's deliveries together; the runner falls back to ContactConsumer, one
    delivery at a time, when the batch fails."""

    def __init__(self, recorder: ContactBatchRecorder, settle: Settle = _nothing_to_settle) -> None:
        self._recorder = recorder
        self._settle = settle

    async def __call__(self, deliveries: list[Delivery]) -> list[tuple[Delivery, Exception]]:
        trace_ids: dict[str, str | None] = {}
        for delivery in deliveries:
            # A resend of the same event in the batch keeps the first delivery's trace.
            trace_ids.setdefault(str(delivery.event.id), trace_id_of(delivery.headers))
        await self._recorder.record([d.event for d in deliveries], trace_ids)
        await self._settle()
        return []
