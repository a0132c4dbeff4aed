"""The resilience run's conclusions: lost and duplicated events, tasks per conversation,
agents' load replayed from the routing stream, recovery after a kill."""

from __future__ import annotations

import uuid

from cc_common.events import Channel, ChannelClass, RoutingChange, TaskState
from contactcenter_cli.chaos_checks import (
    Capacity,
    LagSample,
    fault_tally,
    overbooked,
    recovery_seconds,
    reply_tally,
    tally,
    task_problems,
)

TASKS = [uuid.uuid4() for _ in range(6)]


def change(
    task: int, state: TaskState, agent: str | None = None, channel: Channel = Channel.WEBCHAT
) -> RoutingChange:
    return RoutingChange(
        task_id=TASKS[task],
        interaction_id=uuid.uuid4(),
        conversation_key=f"conv{task}",
        channel=channel,
        state=state,
        queue="q",
        agent_id=agent,
    )


def test_tally_counts_found_duplicated_lost_and_unconfirmed_per_channel() -> None:
    accepted = {"a": "line", "b": "line", "c": "line", "d": "email"}
    rows = {r.channel: r for r in tally(accepted, ["a", "a", "a", "b", "d", "x"])}
    line = rows["line"]
    assert (line.accepted, line.found, line.duplicates, line.lost) == (3, 2, 2, 1)
    email = rows["email"]
    assert (email.accepted, email.found, email.duplicates, email.lost) == (1, 1, 0, 0)
    assert rows["unconfirmed"].unconfirmed == 1


def test_a_conversation_needs_one_open_task_at_a_time() -> None:
    changes = [
        change(0, TaskState.QUEUED),
        change(0, TaskState.OFFERED, "ana"),
        change(1, TaskState.QUEUED),
        change(2, TaskState.QUEUED).model_copy(update={"conversation_key": "conv1"}),
    ]
    lost, doubled = task_problems(changes, ["conv0", "conv1", "conv9"])
    assert lost == ["conv9"]
    assert doubled == ["conv1"]


def test_a_new_task_after_the_first_ended_is_not_a_double() -> None:
    """The agent completed the conversation's task; the customer wrote again."""
    again = change(3, TaskState.QUEUED).model_copy(update={"conversation_key": "conv0"})
    changes = [
        change(0, TaskState.ACCEPTED, "ana"),
        change(0, TaskState.COMPLETED, "ana"),
        again,
        change(4, TaskState.QUEUED).model_copy(update={"conversation_key": "conv0"}),
    ]
    lost, doubled = task_problems(changes[:3], ["conv0"])
    assert (lost, doubled) == ([], [])
    assert task_problems(changes, ["conv0"])[1] == ["conv0"], "two open after the end"


def test_replies_are_counted_sent_failed_stuck_doubled_and_missing() -> None:
    made = {"r1": "email", "r2": "email", "r3": "email", "r4": "email", "w1": "webchat"}
    status = {"r1": "sent", "r2": "failed", "r3": "pending", "r4": "delivered", "w1": "read"}
    deliveries = {"r1": 1, "r4": 2}
    rows = {r.channel: r for r in reply_tally(made, status, deliveries)}
    email = rows["email"]
    assert (email.made, email.sent, email.failed, email.stuck) == (4, 2, 1, 1)
    assert (email.doubled, email.missing) == (1, 0)
    assert (rows["webchat"].sent, rows["webchat"].missing) == (1, 1)


CHATS_OF_TWO = {"ana": Capacity({ChannelClass.CHAT: 2, ChannelClass.VOICE: 1}, total=2)}


def test_offers_within_capacity_pass_including_a_reoffer_of_the_same_task() -> None:
    changes = [
        change(0, TaskState.OFFERED, "ana"),
        change(0, TaskState.OFFERED, "ana"),  # announced again after a restart
        change(1, TaskState.OFFERED, "ana"),
        change(0, TaskState.TIMED_OUT),
        change(2, TaskState.OFFERED, "ana"),
        change(2, TaskState.ACCEPTED, "ana"),
    ]
    assert overbooked(changes, CHATS_OF_TWO) == []


def test_a_third_chat_or_a_call_beside_a_chat_is_overbooking() -> None:
    third = [
        change(0, TaskState.OFFERED, "ana"),
        change(1, TaskState.OFFERED, "ana"),
        change(2, TaskState.OFFERED, "ana"),
    ]
    assert len(overbooked(third, CHATS_OF_TWO)) == 1
    call_beside_chat = [
        change(0, TaskState.OFFERED, "ana"),
        change(3, TaskState.OFFERED, "ana", channel=Channel.VOICE),
    ]
    assert "ana" in overbooked(call_beside_chat, CHATS_OF_TWO)[0]


def test_a_task_moved_to_another_agent_no_longer_counts_for_the_first() -> None:
    changes = [
        change(0, TaskState.OFFERED, "ana"),
        change(1, TaskState.OFFERED, "ana"),
        change(0, TaskState.OFFERED, "bo"),
        change(2, TaskState.OFFERED, "ana"),
    ]
    assert overbooked(changes, CHATS_OF_TWO) == []


def test_recovery_is_when_every_group_is_back_to_its_lag_before_the_kill() -> None:
    samples = [
        LagSample(at, {"case": lag, "router": 0})
        for at, lag in [(1, 3), (4, 5), (6, 40), (9, 90), (12, 30), (13, 9), (14, 2)]
    ]
    assert recovery_seconds(samples, killed_at=5, ready_at=8, slack=5) == 8  # 13 - 5
    assert recovery_seconds(samples, killed_at=5, ready_at=8, slack=0) == 9  # 14 - 5
    assert recovery_seconds(samples[:5], killed_at=5, ready_at=8, slack=0) is None


def test_events_are_counted_under_the_fault_in_effect_when_first_sent() -> None:
    windows = [("case", 10.0, 20.0), ("database", 20.0, 35.0)]
    started = {"a": 9.0, "b": 12.0, "c": 19.9, "d": 20.0, "e": 34.0}
    accepted = dict.fromkeys(started, "line")
    rows = {r.fault: r for r in fault_tally(windows, started, accepted, ["b", "b", "d", "e"])}
    case = rows["case"]
    assert (case.accepted, case.found, case.duplicates, case.lost) == (2, 1, 1, 1)
    database = rows["database"]
    assert (database.accepted, database.found, database.lost) == (2, 2, 0)
