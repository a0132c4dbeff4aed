"""An agent's use cases on a case, against in-memory ports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from case_service.adapters.memory import (
    MemoryCases,
    MemoryMoves,
    MemoryTimeline,
    RecordedAnnouncements,
)
from case_service.domain.case_moves import MoveRefused
from case_service.domain.edits import EditRefused
from case_service.domain.errors import NotFound, Refused, StaleVersion
from case_service.domain.lifecycle import CasePolicy, CaseStatus
from case_service.domain.model import Case
from case_service.domain.replies import NoReplyAddress
from case_service.domain.sla import BusinessCalendar, SlaPolicy
from case_service.service.case_desk import CaseDesk
from cc_common.events import Channel, Content
from cc_common.events.owed import owed_in
from cc_common.principals import Principal, Role
from cc_common.topics import CASES

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ANA = Principal(subject="ana", tenant_id="acme", roles=frozenset({Role.AGENT}))
REACHABLE = {"kind": "line_user_id", "value": "U1", "verified": True}


class Desk:
    def __init__(self, policy: CasePolicy | None = None) -> None:
        self.cases = MemoryCases()
        self.timeline = MemoryTimeline()
        self.announced = RecordedAnnouncements()
        self.desk = CaseDesk(
            cases=self.cases,
            timeline=self.timeline,
            moves=MemoryMoves(self.cases, self.timeline),
            announcements=self.announced,
            policy_for=lambda tenant_id: policy or CasePolicy(),
            clock=lambda: T0,
        )

    def add(self, case_id: str, **fields: object) -> Case:
        case = Case.model_validate(
            {
                "id": case_id,
                "tenant_id": "acme",
                "customer_id": "cust-1",
                "channel": "line",
                "conversation_key": f"line:{case_id}",
                "status": "open",
                "opened_at": T0 - timedelta(hours=1),
                **fields,
            }
        )
        self.cases.cases[case.id] = case
        return case

    def entry(self, entry_id: str, case_id: str, entry_type: str = "interaction") -> None:
        self.timeline.entries[entry_id] = {
            "_id": entry_id,
            "tenant_id": "acme",
            "customer_id": "cust-1",
            "case_id": case_id,
            "entry_type": entry_type,
            "kind": "message",
            "channel": "line",
            "occurred_at": T0 - timedelta(minutes=len(self.timeline.entries)),
        }


@pytest.mark.asyncio
async def test_an_edit_names_the_version_it_read_and_is_recorded_and_announced() -> None:
    world = Desk()
    world.add("c1")
    edited = await world.desk.edit(ANA, "c1", {"status": "pending"}, expected_version=1)
    assert (edited.status, edited.version) == (CaseStatus.PENDING, 2)
    assert world.announced.changes == [("c1", "case.pending", "ana")]
    with pytest.raises(StaleVersion):
        await world.desk.edit(ANA, "c1", {"priority": "high"}, expected_version=1)


@pytest.mark.asyncio
async def test_an_edit_that_changes_nothing_is_not_a_new_version() -> None:
    world = Desk()
    world.add("c1", priority="high")
    same = await world.desk.edit(ANA, "c1", {"priority": "high"}, expected_version=1)
    assert same.version == 1
    assert world.timeline.entries == {}


@pytest.mark.asyncio
async def test_a_closed_case_and_an_unknown_case_refuse_edits() -> None:
    world = Desk()
    world.add("c1", status="closed")
    with pytest.raises(EditRefused):
        await world.desk.edit(ANA, "c1", {"priority": "low"}, expected_version=1)
    with pytest.raises(NotFound):
        await world.desk.edit(ANA, "nope", {"priority": "low"}, expected_version=1)


@pytest.mark.asyncio
async def test_a_priority_change_moves_the_sla_due_times() -> None:
    policy = SlaPolicy(
        calendar=BusinessCalendar(),
        first_response_minutes={"normal": 60, "urgent": 15},
        resolution_minutes={"normal": 480},
    )
    world = Desk(CasePolicy(sla=policy))
    opened = T0 - timedelta(hours=1)
    world.add("c1", opened_at=opened)
    urgent = await world.desk.edit(ANA, "c1", {"priority": "urgent"}, expected_version=1)
    assert urgent.sla is not None
    assert urgent.sla["first_response_due_at"] == opened + timedelta(minutes=15)


@pytest.mark.asyncio
async def test_merging_moves_the_entries_and_closes_the_merged_case() -> None:
    world = Desk()
    world.add("c1")
    world.add("c2")
    world.entry("m1", "c2")
    merged = await world.desk.merge(ANA, source_id="c2", target_id="c1", reason="same order")
    assert merged.id == "c1"
    assert world.timeline.entries["m1"]["case_id"] == "c1"
    source = world.cases.cases["c2"]
    assert (source.status, source.merged_into) == (CaseStatus.CLOSED, "c1")
    kinds = sorted(e["kind"] for e in world.timeline.entries.values() if e["kind"] != "message")
    assert kinds == ["case.merged", "case.merged_away"]


@pytest.mark.asyncio
async def test_cases_of_two_customers_or_a_closed_case_do_not_merge() -> None:
    world = Desk()
    world.add("c1")
    world.add("c2", customer_id="cust-2")
    world.add("c3", status="closed")
    with pytest.raises(MoveRefused, match="different customers"):
        await world.desk.merge(ANA, source_id="c2", target_id="c1", reason="r")
    with pytest.raises(MoveRefused, match="closed"):
        await world.desk.merge(ANA, source_id="c3", target_id="c1", reason="r")
    with pytest.raises(MoveRefused, match="itself"):
        await world.desk.merge(ANA, source_id="c1", target_id="c1", reason="r")


@pytest.mark.asyncio
async def test_a_split_opens_a_case_from_the_earliest_moved_entry() -> None:
    world = Desk()
    world.add("c1", subject="Order 12")
    world.entry("m1", "c1")
    world.entry("m2", "c1")
    world.entry("m3", "c1")
    created = await world.desk.split(ANA, "c1", entry_ids=["m2", "m3"], subject="Address")
    assert (created.split_from, created.subject, created.status) == ("c1", "Address", "open")
    assert created.opened_at == world.timeline.entries["m3"]["occurred_at"]
    assert [world.timeline.entries[e]["case_id"] for e in ("m1", "m2", "m3")] == [
        "c1",
        created.id,
        created.id,
    ]
    with pytest.raises(MoveRefused, match="every entry"):
        await world.desk.split(ANA, "c1", entry_ids=["m1", "elsewhere"], subject=None)


@pytest.mark.asyncio
async def test_a_reply_is_sent_once_per_key_and_a_different_reply_under_it_is_refused() -> None:
    world = Desk()
    world.add("c1", reply_to=REACHABLE, last_inbound_at=T0, status="new")
    first = await world.desk.reply(ANA, "c1", Content(text="hi"), idempotency_key="k1")
    again = await world.desk.reply(ANA, "c1", Content(text="hi"), idempotency_key="k1")
    assert first.entry["_id"] == again.entry["_id"]
    assert len(world.announced.replies) == 1
    answered = world.cases.cases["c1"]
    assert (answered.status, answered.first_response_at) == (CaseStatus.OPEN, T0)
    with pytest.raises(Refused, match="different reply"):
        await world.desk.reply(ANA, "c1", Content(text="other"), idempotency_key="k1")


@pytest.mark.asyncio
async def test_a_reply_with_the_broker_down_stays_in_the_outbox() -> None:
    world = Desk()
    world.add("c1", reply_to=REACHABLE, last_inbound_at=T0)
    world.announced.broker_down = True
    outcome = await world.desk.reply(ANA, "c1", Content(text="hi"))
    owed = owed_in(world.timeline.entries[outcome.entry["_id"]])
    assert [o.event.type for o in owed] == ["outbound.requested", "case.changed"]


@pytest.mark.asyncio
async def test_a_note_carries_its_announcement_until_the_broker_has_it() -> None:
    world = Desk()
    world.add("c1")
    world.announced.broker_down = True
    note = await world.desk.add_note(ANA, "c1", "call back after lunch")
    stored = world.timeline.entries[note["_id"]]
    [owed] = owed_in(stored)  # the relay publishes it later
    assert (owed.topic, owed.event.data.entry_id) == (CASES.name, note["_id"])
    world.announced.broker_down = False
    other = await world.desk.add_note(ANA, "c1", "done")
    assert owed_in(world.timeline.entries[other["_id"]]) == []
    assert world.announced.changes[-1] == ("c1", "note", "ana")


@pytest.mark.asyncio
async def test_a_reply_needs_an_address_and_another_channel_needs_a_conversation_there() -> None:
    world = Desk()
    world.add("c1")
    with pytest.raises(NoReplyAddress):
        await world.desk.reply(ANA, "c1", Content(text="hi"))
    world.add("c2", reply_to=REACHABLE, last_inbound_at=T0)
    with pytest.raises(Refused, match="sms"):
        await world.desk.reply(ANA, "c2", Content(text="hi"), channel=Channel.SMS)


@pytest.mark.asyncio
async def test_notes_and_typing_are_announced_but_typing_is_not_stored() -> None:
    world = Desk()
    world.add("c1")
    note = await world.desk.add_note(ANA, "c1", "ask @ben")
    await world.desk.typing(ANA, "c1", active=True)
    assert note["note"]["mentions"] == ["ben"]
    assert list(world.timeline.entries) == [note["_id"]]
    assert world.announced.changes == [("c1", "note", "ana")]
    assert world.announced.typists == [("c1", "ana", True)]
