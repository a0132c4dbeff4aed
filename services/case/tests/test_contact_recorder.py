"""Recording contacts (the case consumer's use cases) against in-memory ports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from case_service.adapters.memory import (
    MemoryCases,
    MemoryCustomers,
    MemoryTimeline,
    RecordedAnnouncements,
)
from case_service.domain.lifecycle import CasePolicy, CaseStatus, first_case_id
from case_service.service.contact_recorder import ContactRecorder
from cc_common.events import (
    INTERACTION_RECEIVED,
    OUTBOUND_FAILED,
    Channel,
    Content,
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

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class World:
    """A recorder over in-memory ports, and what it stored."""

    def __init__(self, policy: CasePolicy | None = None) -> None:
        self.cases = MemoryCases()
        self.timeline = MemoryTimeline()
        self.announced = RecordedAnnouncements()
        self.recorder = ContactRecorder(
            customers=MemoryCustomers(),
            cases=self.cases,
            timeline=self.timeline,
            announcements=self.announced,
            policy_for=lambda tenant_id: policy or CasePolicy(),
        )

    def case_of(self, event: Envelope[Interaction]) -> Any:
        entry = self.timeline.entries[str(event.id)]
        return self.cases.cases[entry["case_id"]]


def message(
    *,
    at: datetime = T0,
    conversation: str = "line:U1",
    channel: Channel = Channel.LINE,
    direction: Direction = Direction.INBOUND,
    subject: str | None = None,
    **extra: Any,
) -> Envelope[Interaction]:
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id="acme",
        occurred_at=at,
        source="t",
        data=Interaction(
            channel=channel,
            direction=direction,
            provider="line",
            conversation_key=conversation,
            content=Content(text="hello", subject=subject),
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(
                        Identity(kind=IdentityKind.LINE_USER_ID, value="U1", verified=True),
                    ),
                ),
            ),
            **extra,
        ),
    )


@pytest.mark.asyncio
async def test_a_first_message_opens_the_conversations_case_and_announces_it() -> None:
    world = World()
    first = message(subject="Refund")
    await world.recorder.record_interaction(first)
    case = world.case_of(first)
    assert case.id == first_case_id("acme", "line:U1")
    assert (case.status, case.subject, case.channel) == (CaseStatus.NEW, "Refund", "line")
    assert world.announced.changes == [(case.id, "message", None)]
    reachable = {"kind": "line_user_id", "value": "U1", "verified": True, "claimed": False}
    assert case.reply_to == reachable


@pytest.mark.asyncio
async def test_a_replayed_message_is_stored_once_and_announced_again() -> None:
    """The first delivery may have died before its announcement was acknowledged; the
    announcement's id derives from the entry, so the repeat is dropped downstream."""
    world = World()
    first = message()
    await world.recorder.record_interaction(first)
    await world.recorder.record_interaction(first)
    assert len(world.timeline.entries) == 1
    (change,) = set(world.announced.changes)
    assert world.announced.changes == [change, change]


@pytest.mark.asyncio
async def test_the_customer_answering_a_pending_case_opens_it_and_says_so() -> None:
    world = World()
    first = message()
    await world.recorder.record_interaction(first)
    case = world.case_of(first)
    await world.cases.update("acme", case.id, expected_version=None, fields={"status": "pending"})
    answer = message(at=T0 + timedelta(hours=1))
    await world.recorder.record_interaction(answer)
    after = world.cases.cases[case.id]
    assert after.status is CaseStatus.OPEN
    assert after.customer_returns == 1
    kinds = sorted(e["kind"] for e in world.timeline.of_case(case.id))
    assert kinds == ["case.answered", "message", "message"]


@pytest.mark.asyncio
async def test_a_solved_case_reopens_within_the_window_and_is_followed_after_it() -> None:
    world = World(CasePolicy(reopen_window=timedelta(days=3)))
    first = message()
    await world.recorder.record_interaction(first)
    case = world.case_of(first)
    solved = {"status": "solved", "solved_at": T0}
    await world.cases.update("acme", case.id, expected_version=None, fields=solved)

    soon = message(at=T0 + timedelta(days=1))
    await world.recorder.record_interaction(soon)
    reopened = world.cases.cases[case.id]
    assert (reopened.status, reopened.reopen_count) == (CaseStatus.OPEN, 1)

    await world.cases.update("acme", case.id, expected_version=None, fields=solved)
    late = message(at=T0 + timedelta(days=5))
    await world.recorder.record_interaction(late)
    follow_up = world.case_of(late)
    assert follow_up.id != case.id
    assert follow_up.follows_case_id == case.id
    assert world.cases.cases[case.id].status is CaseStatus.CLOSED
    assert (await world.cases.of_conversation("acme", "line:U1")) == follow_up


@pytest.mark.asyncio
async def test_our_own_message_never_reopens_a_case() -> None:
    world = World()
    first = message()
    await world.recorder.record_interaction(first)
    case = world.case_of(first)
    await world.cases.update("acme", case.id, expected_version=None, fields={"status": "pending"})
    ours = message(at=T0 + timedelta(minutes=5), direction=Direction.OUTBOUND)
    await world.recorder.record_interaction(ours)
    assert world.cases.cases[case.id].status is CaseStatus.PENDING


@pytest.mark.asyncio
async def test_a_new_sms_conversation_joins_the_customers_open_sms_case() -> None:
    world = World(CasePolicy(join_open_case_channels=frozenset({"line"})))
    first = message(conversation="line:U1")
    await world.recorder.record_interaction(first)
    again = message(conversation="line:U1:second", at=T0 + timedelta(hours=2))
    await world.recorder.record_interaction(again)
    assert world.case_of(again).id == world.case_of(first).id
    assert world.cases.cases[world.case_of(first).id].customer_returns == 1


@pytest.mark.asyncio
async def test_a_routing_change_before_its_interaction_is_adopted_later() -> None:
    world = World()
    interaction = message()
    queued = Envelope[RoutingChange](
        id=uuid.uuid4(),
        type=routing_event_type(TaskState.QUEUED),
        tenant_id="acme",
        occurred_at=T0,
        source="router",
        data=RoutingChange(
            task_id=uuid.uuid4(),
            interaction_id=interaction.id,
            conversation_key="line:U1",
            channel=Channel.LINE,
            state=TaskState.QUEUED,
            queue="messaging",
        ),
    )
    await world.recorder.record_routing(queued)
    assert world.timeline.entries[str(queued.id)]["customer_id"] is None
    await world.recorder.record_interaction(interaction)
    routing = world.timeline.entries[str(queued.id)]
    stored = world.timeline.entries[str(interaction.id)]
    assert (routing["customer_id"], routing["case_id"]) == (
        stored["customer_id"],
        stored["case_id"],
    )


@pytest.mark.asyncio
async def test_a_sent_reply_settles_its_pending_entry_instead_of_adding_one() -> None:
    world = World()
    reply_id = str(uuid.uuid4())
    world.timeline.entries[reply_id] = {"_id": reply_id, "entry_type": "reply", "reply": {}}
    sent = message(
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        conversation="email:<first@example.org>",
        provider_message_id="<reply-1@acme.example>",
        provider_ids={"reply_id": reply_id},
    )
    await world.recorder.record_interaction(sent)
    await world.recorder.record_interaction(sent)
    assert list(world.timeline.entries) == [reply_id]
    assert world.timeline.entries[reply_id]["reply"]["status"] == "sent"
    assert world.timeline.entries[reply_id]["reply"]["provider_message_id"] == (
        "<reply-1@acme.example>"
    )


@pytest.mark.asyncio
async def test_a_failed_reply_is_marked_failed_with_the_reason() -> None:
    world = World()
    reply_id = uuid.uuid4()
    world.timeline.entries[str(reply_id)] = {
        "_id": str(reply_id),
        "entry_type": "reply",
        "reply": {},
    }
    failed = Envelope[OutboundFailed](
        id=uuid.uuid4(),
        type=OUTBOUND_FAILED,
        tenant_id="acme",
        occurred_at=T0,
        source="t",
        data=OutboundFailed(
            reply_id=reply_id,
            channel=Channel.EMAIL,
            conversation_key="email:<first@example.org>",
            reason="the mail relay refused the reply: 550 5.1.1 no such user",
        ),
    )
    await world.recorder.record_failed_reply(failed)
    reply = world.timeline.entries[str(reply_id)]["reply"]
    assert reply["status"] == "failed"
    assert reply["error"].endswith("no such user")
