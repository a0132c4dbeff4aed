"""Routing changes that overtake their interaction still land on the timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from case_service.consumers.timeline import TimelineHandler
from case_service.domain.lifecycle import Assignment, Contact, ContactOutcome
from case_service.domain.merging import Resolution
from cc_common.events import (
    INTERACTION_RECEIVED,
    OUTBOUND_FAILED,
    Channel,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    OutboundFailed,
    Party,
    PartyRole,
    RoutingChange,
    TaskState,
    routing_event_type,
)
from cc_common.kafka.consumer import Delivery


class FakeTimeline:
    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    async def add(self, entry: dict[str, Any]) -> None:
        self.entries.setdefault(entry["_id"], entry)

    async def get(self, tenant_id: str, entry_id: str) -> dict[str, Any] | None:
        return self.entries.get(entry_id)

    async def put(self, entry: dict[str, Any]) -> None:
        self.entries[entry["_id"]] = entry

    async def flag(self, entry_id: str, field: str) -> None:
        self.entries[entry_id][field] = True

    async def owner_of(self, tenant_id: str, entry_id: str) -> tuple[str, str] | None:
        entry = self.entries.get(entry_id)
        return (entry["customer_id"], entry["case_id"]) if entry else None

    async def adopt_pending(
        self, tenant_id: str, interaction_id: str, *, customer_id: str, case_id: str
    ) -> None:
        for entry in self.entries.values():
            if entry.get("interaction_id") == interaction_id and entry["customer_id"] is None:
                entry.update(customer_id=customer_id, case_id=case_id)

    async def note_delivery(
        self,
        tenant_id: str,
        provider_message_id: str,
        *,
        status: str,
        at: datetime,
        error: dict[str, str] | None = None,
    ) -> None:
        for entry in self.entries.values():
            if entry.get("reply", {}).get("provider_message_id") == provider_message_id:
                entry["reply"].setdefault("delivery", {})[status] = at
                if error:
                    entry["reply"]["delivery_error"] = error

    async def settle_reply(
        self, tenant_id: str, reply_id: str, *, status: str, details: dict[str, Any]
    ) -> bool:
        entry = self.entries.get(reply_id)
        if entry is None or entry.get("entry_type") != "reply":
            return False
        entry["reply"].update(status=status, **details)
        return True


class FakeCustomers:
    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> Resolution:
        return Resolution("cust-1")


class FakeCases:
    async def assign(self, contact: Contact) -> Assignment:
        return Assignment("case-1", ContactOutcome.JOIN)

    async def note_inbound(
        self,
        case_id: str,
        *,
        reply_to: dict[str, Any] | None,
        message_id: str | None,
        at: datetime,
    ) -> None:
        self.reply_to = reply_to


def delivery(event: Envelope[Any]) -> Delivery:
    return Delivery(topic="t", partition=0, offset=0, key=None, value=b"", headers=[], event=event)


@pytest.mark.asyncio
async def test_a_routing_change_before_its_interaction_is_adopted_later() -> None:
    timeline = FakeTimeline()
    handler = TimelineHandler(
        customers=FakeCustomers(),
        cases=FakeCases(),
        timeline=timeline,
    )
    interaction = Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="t",
        data=Interaction(
            channel=Channel.WEBCHAT,
            direction=Direction.INBOUND,
            provider="webchat",
            conversation_key="c",
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(Identity(kind=IdentityKind.EMAIL, value="a@b.c"),),
                ),
            ),
        ),
    )
    queued = Envelope[RoutingChange](
        id=uuid.uuid4(),
        type=routing_event_type(TaskState.QUEUED),
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="router",
        data=RoutingChange(
            task_id=uuid.uuid4(),
            interaction_id=interaction.id,
            conversation_key="c",
            channel=Channel.WEBCHAT,
            state=TaskState.QUEUED,
            queue="messaging",
        ),
    )
    await handler(delivery(queued))
    assert timeline.entries[str(queued.id)]["customer_id"] is None
    await handler(delivery(interaction))
    routing = timeline.entries[str(queued.id)]
    assert (routing["customer_id"], routing["case_id"]) == ("cust-1", "case-1")


@pytest.mark.asyncio
async def test_a_sent_reply_settles_its_pending_entry_instead_of_adding_one() -> None:
    timeline = FakeTimeline()
    reply_id = str(uuid.uuid4())
    timeline.entries[reply_id] = {"_id": reply_id, "entry_type": "reply", "reply": {}}
    handler = TimelineHandler(customers=FakeCustomers(), cases=FakeCases(), timeline=timeline)
    sent = Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="t",
        data=Interaction(
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            provider="smtp",
            provider_message_id="<reply-1@acme.example>",
            provider_ids={"reply_id": reply_id},
            conversation_key="email:<first@example.org>",
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(Identity(kind=IdentityKind.EMAIL, value="sam@example.org"),),
                ),
            ),
        ),
    )
    await handler(delivery(sent))
    await handler(delivery(sent))
    assert list(timeline.entries) == [reply_id]
    assert timeline.entries[reply_id]["reply"]["status"] == "sent"
    assert timeline.entries[reply_id]["reply"]["provider_message_id"] == "<reply-1@acme.example>"


@pytest.mark.asyncio
async def test_a_failed_reply_is_marked_failed_with_the_reason() -> None:
    timeline = FakeTimeline()
    reply_id = uuid.uuid4()
    timeline.entries[str(reply_id)] = {"_id": str(reply_id), "entry_type": "reply", "reply": {}}
    handler = TimelineHandler(customers=FakeCustomers(), cases=FakeCases(), timeline=timeline)
    failed = Envelope[OutboundFailed](
        id=uuid.uuid4(),
        type=OUTBOUND_FAILED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="t",
        data=OutboundFailed(
            reply_id=reply_id,
            channel=Channel.EMAIL,
            conversation_key="email:<first@example.org>",
            reason="the mail relay refused the reply: 550 5.1.1 no such user",
        ),
    )
    await handler(delivery(failed))
    reply = timeline.entries[str(reply_id)]["reply"]
    assert reply["status"] == "failed"
    assert reply["error"].endswith("no such user")
