"""Case statuses, agents' edits and notes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from case_service.domain.edits import EditRefused, plan_edit
from case_service.domain.lifecycle import (
    CasePolicy,
    CaseStatus,
    ContactOutcome,
    TransitionRefused,
    check_transition,
    customer_contact,
    first_case_id,
    follow_up_case_id,
)
from case_service.domain.model import Case
from case_service.domain.notes import mentions

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = CasePolicy(reopen_window=timedelta(hours=72))


def case(status: str, **fields: Any) -> Case:
    return Case(
        id="c1",
        tenant_id="acme",
        customer_id="cust-1",
        channel="email",
        status=CaseStatus(status),
        opened_at=T0 - timedelta(days=1),
        **fields,
    )


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("new", ContactOutcome.JOIN),
        ("open", ContactOutcome.JOIN),
        ("on_hold", ContactOutcome.JOIN),
        ("pending", ContactOutcome.ANSWERED),
        ("closed", ContactOutcome.NEW_CASE),
    ],
)
def test_what_a_customer_contact_does_to_each_status(status: str, outcome: str) -> None:
    assert customer_contact(case(status), T0, POLICY) == outcome


def test_a_solved_case_reopens_inside_the_window_and_not_after() -> None:
    solved = case("solved", solved_at=T0)
    assert customer_contact(solved, T0 + timedelta(hours=71), POLICY) is ContactOutcome.REOPEN
    assert customer_contact(solved, T0 + timedelta(hours=73), POLICY) is ContactOutcome.NEW_CASE
    short = CasePolicy(reopen_window=timedelta(hours=1))
    assert customer_contact(solved, T0 + timedelta(hours=2), short) is ContactOutcome.NEW_CASE


def test_closed_is_final_and_new_is_not_a_target() -> None:
    check_transition(CaseStatus.SOLVED, CaseStatus.CLOSED)
    check_transition(CaseStatus.SOLVED, CaseStatus.OPEN)
    with pytest.raises(TransitionRefused, match="closed is final"):
        check_transition(CaseStatus.CLOSED, CaseStatus.OPEN)
    with pytest.raises(TransitionRefused):
        check_transition(CaseStatus.OPEN, CaseStatus.NEW)
    with pytest.raises(TransitionRefused):
        check_transition(CaseStatus.OPEN, CaseStatus.CLOSED)


def test_case_ids_are_stable_per_conversation_and_distinct_per_follow_up() -> None:
    assert first_case_id("acme", "chat:1") == first_case_id("acme", "chat:1")
    assert first_case_id("acme", "chat:1") != first_case_id("other", "chat:1")
    assert follow_up_case_id("acme", "chat:1", "e1") != follow_up_case_id("acme", "chat:1", "e2")


def test_an_edit_lists_its_changes_and_stamps_the_solve() -> None:
    plan = plan_edit(
        case("open", priority="normal", tags=["b"]),
        {"status": "solved", "priority": "high", "tags": ["b", "a", "a"]},
        at=T0,
    )
    assert plan.fields["status"] == "solved"
    assert plan.fields["solved_at"] == T0
    assert plan.fields["tags"] == ["a", "b"]
    assert plan.changes["priority"] == ["normal", "high"]
    assert plan.kind == "case.solved"
    assert "priority: normal -> high" in plan.summary


def test_an_edit_that_changes_nothing_plans_nothing() -> None:
    plan = plan_edit(case("open", priority="high"), {"priority": "high"}, at=T0)
    assert plan.changes == {}


def test_custom_fields_merge_one_by_one() -> None:
    plan = plan_edit(
        case("open", custom_fields={"order": "A-1", "plan": "gold"}),
        {"custom_fields": {"order": "A-2", "plan": "gold", "region": None}},
        at=T0,
    )
    assert plan.fields == {"custom_fields.order": "A-2"}


def test_a_solved_case_reopened_by_an_agent_is_stamped() -> None:
    plan = plan_edit(case("solved", solved_at=T0), {"status": "open"}, at=T0)
    assert plan.fields["reopened_at"] == T0


def test_closed_cases_refuse_edits_and_bad_moves_are_refused() -> None:
    with pytest.raises(EditRefused, match="closed"):
        plan_edit(case("closed"), {"priority": "low"}, at=T0)
    with pytest.raises(EditRefused, match="cannot become closed"):
        plan_edit(case("open"), {"status": "closed"}, at=T0)


def test_mentions_are_agent_ids_after_an_at_sign() -> None:
    text = "@ana.sato please check; cc @agent-7. Not mail: bob@example.com, @ana.sato again"
    assert mentions(text) == ["ana.sato", "agent-7"]
    assert mentions("no mentions here") == []


def test_the_agent_who_accepts_a_task_becomes_the_case_assignee() -> None:
    import uuid

    from case_service.domain.lifecycle import assignee_after
    from cc_common.events import Channel, RoutingChange, TaskState

    def change(state: TaskState, agent: str | None) -> RoutingChange:
        return RoutingChange(
            task_id=uuid.uuid4(),
            interaction_id=uuid.uuid4(),
            conversation_key="c1",
            channel=Channel.WEBCHAT,
            state=state,
            queue="billing",
            agent_id=agent,
        )

    assert assignee_after(change(TaskState.ACCEPTED, "emi")) == "emi"
    assert assignee_after(change(TaskState.OFFERED, "emi")) is None  # not until accepted
    assert assignee_after(change(TaskState.COMPLETED, "emi")) is None  # stays assigned
    assert assignee_after(change(TaskState.QUEUED, None)) is None
