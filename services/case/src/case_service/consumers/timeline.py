"""Stores interactions and routing changes on their customer's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from case_service.domain.identity import keys_in_priority
from case_service.domain.timeline import interaction_entry, routing_entry
from cc_common.errors import PermanentError
from cc_common.events import INTERACTION_RECEIVED, Envelope, Interaction, RoutingChange
from cc_common.kafka.consumer import Delivery
from cc_common.tracing import current_trace_id


class Customers(Protocol):
    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> str: ...


class Cases(Protocol):
    async def open_for_conversation(
        self,
        *,
        tenant_id: str,
        customer_id: str,
        conversation_key: str,
        channel: str,
        subject: str | None,
        opened_at: datetime,
    ) -> str: ...


class Timeline(Protocol):
    async def add(self, entry: dict[str, Any]) -> None: ...

    async def owner_of(self, tenant_id: str, entry_id: str) -> tuple[str, str] | None: ...

    async def adopt_pending(
        self, tenant_id: str, interaction_id: str, *, customer_id: str, case_id: str
    ) -> None: ...


def conversation_order(event: Envelope[Any]) -> str:
    """Order key: one sequence per conversation of a tenant."""
    conversation = getattr(event.data, "conversation_key", "")
    return f"{event.tenant_id}|{conversation}"


class TimelineHandler:
    def __init__(
        self,
        *,
        customers: Customers,
        cases: Cases,
        timeline: Timeline,
    ) -> None:
        self._customers = customers
        self._cases = cases
        self._timeline = timeline

    async def __call__(self, delivery: Delivery) -> None:
        """Store the event's timeline entry (idempotent: its id is the event id)."""
        data = delivery.event.data
        if isinstance(data, Interaction) and delivery.event.type == INTERACTION_RECEIVED:
            await self._store_interaction(delivery.event)
        elif isinstance(data, RoutingChange):
            await self._store_routing(delivery.event)

    async def _store_interaction(self, event: Envelope[Interaction]) -> None:
        interaction = event.data
        customer = interaction.customer()
        keys = keys_in_priority(event.tenant_id, customer.identities if customer else ())
        if not keys:
            raise PermanentError("the interaction names no customer identity")
        customer_id = await self._customers.resolve(
            event.tenant_id,
            keys,
            display_name=customer.display_name if customer else None,
            seen_at=event.occurred_at,
        )
        case_id = await self._cases.open_for_conversation(
            tenant_id=event.tenant_id,
            customer_id=customer_id,
            conversation_key=interaction.conversation_key,
            channel=interaction.channel.value,
            subject=interaction.content.subject if interaction.content else None,
            opened_at=event.occurred_at,
        )
        await self._timeline.add(
            interaction_entry(
                event, customer_id=customer_id, case_id=case_id, trace_id=current_trace_id()
            )
        )
        # Routing changes that overtook their interaction (another topic) join now.
        await self._timeline.adopt_pending(
            event.tenant_id, str(event.id), customer_id=customer_id, case_id=case_id
        )

    async def _store_routing(self, event: Envelope[RoutingChange]) -> None:
        owner = await self._timeline.owner_of(event.tenant_id, str(event.data.interaction_id))
        customer_id, case_id = owner if owner is not None else (None, None)
        await self._timeline.add(
            routing_entry(
                event, customer_id=customer_id, case_id=case_id, trace_id=current_trace_id()
            )
        )
