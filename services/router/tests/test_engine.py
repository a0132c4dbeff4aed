"""The ACD core: matching, capacity, offers, aging, escalation, sticky routing (pure)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cc_common.events import (
    AgentConfigured,
    BusinessHours,
    Channel,
    ChannelClass,
    EscalationStep,
    Presence,
    QueueConfigured,
    TaskAction,
    TaskState,
)
from router_service.domain.defaults import RouterPolicy
from router_service.domain.engine import InvalidAction, TenantRouter
from router_service.domain.model import attributes_of
from router_service.domain.requirements import InvalidRequirement, parse_requirement

T0 = 1_800_000_000.0
_ids = itertools.count()


def new_router(policy: RouterPolicy | None = None) -> TenantRouter:
    return TenantRouter("acme", policy)


def agent(router: TenantRouter, agent_id: str, now: float = T0, **profile: object) -> None:
    router.configure_agent(AgentConfigured(agent_id=agent_id, **profile), now)
    router.set_presence(agent_id, Presence.AVAILABLE, None, now)


def work(
    router: TenantRouter,
    *,
    channel: Channel = Channel.WEBCHAT,
    conversation: str | None = None,
    customer: str | None = None,
    text: str | None = None,
    priority: int = 0,
    now: float = T0,
) -> str:
    n = next(_ids)
    task = router.enqueue(
        task_id=f"task-{n}",
        interaction_id=f"i-{n}",
        conversation_key=conversation or f"conv-{n}",
        customer_ref=customer,
        channel=channel,
        text=text,
        skills=(),
        priority=priority,
        now=now,
    )
    assert task is not None
    return task.id


def states(router: TenantRouter) -> list[tuple[str, TaskState, str | None]]:
    return [(c.task_id, c.state, c.agent_id) for c in router.drain()]


def test_work_waits_until_an_agent_is_available_then_is_offered() -> None:
    router = new_router()
    task = work(router)
    assert states(router) == [(task, TaskState.QUEUED, None)]
    agent(router, "ana")
    assert states(router) == [(task, TaskState.OFFERED, "ana")]
    router.act("ana", task, TaskAction.ACCEPT, T0 + 5)
    [accepted] = router.drain()
    assert accepted.state is TaskState.ACCEPTED
    assert accepted.wait_seconds == 5


def test_email_offers_are_accepted_automatically() -> None:
    router = new_router()
    agent(router, "ana")
    task = work(router, channel=Channel.EMAIL)
    assert [s for _, s, _ in states(router)] == [
        TaskState.QUEUED,
        TaskState.OFFERED,
        TaskState.ACCEPTED,
    ]
    assert router.tasks[task].state is TaskState.ACCEPTED


def test_capacity_per_channel_class_and_voice_is_exclusive() -> None:
    router = new_router()
    agent(router, "ana", capacity={ChannelClass.CHAT: 2, ChannelClass.VOICE: 1}, max_total=3)
    chats = [work(router) for _ in range(3)]
    offered = [t for t, s, a in states(router) if s is TaskState.OFFERED]
    assert offered == chats[:2], "at most two chats at once"
    call = work(router, channel=Channel.VOICE)
    assert all(s is TaskState.QUEUED for _, s, _ in states(router)), "no call while chatting"
    for task in chats[:2]:
        router.act("ana", task, TaskAction.ACCEPT, T0)
        router.act("ana", task, TaskAction.COMPLETE, T0 + 1)
    offers = [(t, a) for t, s, a in states(router) if s is TaskState.OFFERED]
    # The oldest waiting work goes first: the third chat, which also blocks the call.
    assert offers[0] == (chats[2], "ana")
    assert (call, "ana") not in offers


def test_skills_choose_the_agent_and_proficiency_breaks_ties() -> None:
    router = new_router(RouterPolicy(prefer="proficiency"))
    router.configure_queue(
        QueueConfigured(name="billing", requires="billing>=2", keywords=("invoice",)), T0
    )
    agent(router, "novice", skills={"billing": 2})
    agent(router, "expert", skills={"billing": 5})
    agent(router, "other", skills={"tech": 5})
    task = work(router, text="About my INVOICE")
    offers = [(t, a) for t, s, a in states(router) if s is TaskState.OFFERED]
    assert offers == [(task, "expert")]
    assert router.tasks[task].queue == "billing"


def test_longest_idle_agent_gets_the_work_by_default() -> None:
    router = new_router()
    agent(router, "busy-recently", now=T0 + 50)
    agent(router, "idle-longest", now=T0)
    work(router, now=T0 + 60)
    offered = [a for _, s, a in states(router) if s is TaskState.OFFERED]
    assert offered == ["idle-longest"]


def test_a_timed_out_offer_goes_to_another_agent_and_the_first_goes_away() -> None:
    router = new_router()
    agent(router, "ana", now=T0)
    agent(router, "bo", now=T0 + 1)
    task = work(router, now=T0 + 2)
    router.drain()
    router.tick(T0 + 2 + 29)
    assert router.drain() == []
    router.tick(T0 + 2 + 30)
    assert [(s, a) for _, s, a in states(router)] == [
        (TaskState.TIMED_OUT, "ana"),
        (TaskState.OFFERED, "bo"),
    ]
    assert router.agents["ana"].presence is Presence.BREAK
    assert router.tasks[task].agent_id == "bo"


def test_an_agent_sees_an_offer_with_its_expiry_and_then_the_accepted_work() -> None:
    router = new_router()
    agent(router, "ana")
    task = work(router, channel=Channel.LINE)
    router.drain()
    timeout = router.queues["messaging"].config.offer_timeout_seconds
    assert timeout is not None
    offered = router.agent_work("ana", T0 + 5)
    assert offered is not None
    assert offered["presence"] == "available"
    [row] = offered["tasks"]
    assert (row["task_id"], row["state"], row["channel"]) == (task, "offered", "line")
    assert row["offer_expires_at"] == T0 + timeout
    assert row["offer_expires_in_seconds"] == timeout - 5
    assert offered["in_hand"] == {"chat": 1}
    router.act("ana", task, TaskAction.ACCEPT, T0 + 6)
    accepted = router.agent_work("ana", T0 + 7)
    assert accepted is not None
    [row] = accepted["tasks"]
    assert (row["state"], row["offer_expires_at"], row["waited_seconds"]) == ("accepted", None, 7)
    assert router.agent_work("nobody", T0) is None


def test_the_board_shows_each_agent_with_time_in_state_and_work_in_hand() -> None:
    """A supervisor's view: presence and reason, time since it changed (a missed offer
    restarts it as a break), offers and work in hand; kept across a snapshot."""
    from router_service.domain import snapshot

    router = new_router()
    agent(router, "ana")
    agent(router, "bo")
    router.set_presence("bo", Presence.BREAK, "lunch", T0 + 1)
    task = work(router, channel=Channel.LINE, now=T0 + 2)
    router.drain()
    ana, bo = router.agents_board(T0 + 10)
    assert (ana["agent_id"], ana["presence"], ana["offers"], ana["in_hand"]) == (
        "ana",
        "available",
        1,
        {"chat": 1},
    )
    assert (bo["presence"], bo["reason"], bo["seconds_in_state"]) == ("break", "lunch", 9)
    router.act("ana", task, TaskAction.ACCEPT, T0 + 11)
    restored = snapshot.load(snapshot.dump(router))
    ana, bo = restored.agents_board(T0 + 20)
    assert (ana["offers"], ana["in_hand"]) == (0, {"chat": 1})
    assert bo["seconds_in_state"] == 19
    restored.set_presence("bo", Presence.BREAK, "lunch", T0 + 30)  # the same: no restart
    assert restored.agents_board(T0 + 31)[1]["seconds_in_state"] == 30


def test_a_rejected_offer_is_not_offered_to_the_same_agent_again() -> None:
    router = new_router()
    agent(router, "ana")
    task = work(router)
    router.drain()
    router.act("ana", task, TaskAction.REJECT, T0 + 1)
    assert [s for _, s, _ in states(router)] == [TaskState.REJECTED]
    assert router.tasks[task].state is TaskState.QUEUED
    agent(router, "bo", now=T0 + 2)
    assert states(router) == [(task, TaskState.OFFERED, "bo")]


def test_priority_first_then_first_in_first_out() -> None:
    router = new_router()
    old = work(router, now=T0)
    newer = work(router, now=T0 + 10)
    urgent = work(router, priority=20, now=T0 + 20)
    router.drain()
    agent(router, "ana", capacity={ChannelClass.CHAT: 1}, max_total=1, now=T0 + 21)
    for expected in (urgent, old, newer):
        [offer] = [t for t, s, _ in states(router) if s is TaskState.OFFERED]
        assert offer == expected
        router.act("ana", offer, TaskAction.ACCEPT, T0 + 22)
        router.act("ana", offer, TaskAction.COMPLETE, T0 + 23)


def test_waiting_raises_priority_across_queues() -> None:
    router = new_router()
    router.configure_queue(QueueConfigured(name="vip", priority=5, channels=("line",)), T0)
    old_chat = work(router, now=T0)
    new_vip = work(router, channel=Channel.LINE, now=T0 + 600)
    router.drain()
    agent(router, "ana", capacity={ChannelClass.CHAT: 1}, max_total=1, now=T0 + 601)
    [offer] = [t for t, s, _ in states(router) if s is TaskState.OFFERED]
    assert offer == old_chat, "ten minutes of waiting outweigh five points of priority"
    assert new_vip in router.tasks


def test_escalation_over_time_widens_to_another_queue() -> None:
    router = new_router()
    router.configure_queue(QueueConfigured(name="wide", requires=""), T0)
    router.configure_queue(
        QueueConfigured(
            name="experts",
            requires="tech>=4",
            keywords=("router",),
            escalation=(EscalationStep(after_seconds=60, to_queue="wide"),),
        ),
        T0,
    )
    agent(router, "generalist")
    task = work(router, text="my router is broken")
    assert [s for _, s, _ in states(router)] == [TaskState.QUEUED]
    router.tick(T0 + 59)
    assert router.drain() == []
    router.tick(T0 + 60)
    changes = router.drain()
    assert [(c.state, c.queue) for c in changes] == [
        (TaskState.ESCALATED, "wide"),
        (TaskState.OFFERED, "wide"),
    ]
    assert router.tasks[task].agent_id == "generalist"


def test_tier_escalation_and_transfer_keep_the_task() -> None:
    router = new_router()
    router.configure_queue(QueueConfigured(name="tier2", requires="tier>=2"), T0)
    router.configure_queue(
        QueueConfigured(name="messaging", channels=("webchat",), tier_queues={2: "tier2"}), T0
    )
    agent(router, "t1", tier=1)
    task = work(router)
    router.act("t1", task, TaskAction.ACCEPT, T0 + 1)
    router.drain()
    router.act("t1", task, TaskAction.ESCALATE, T0 + 2, note="needs logs")
    [escalated] = router.drain()
    assert (escalated.state, escalated.queue, escalated.note) == (
        TaskState.ESCALATED,
        "tier2",
        "needs logs",
    )
    agent(router, "t2", tier=2, now=T0 + 3)
    assert states(router) == [(task, TaskState.OFFERED, "t2")]
    router.act("t2", task, TaskAction.ACCEPT, T0 + 4)
    router.act("t2", task, TaskAction.TRANSFER, T0 + 5, target_agent_id="t1")
    assert [(s, a) for _, s, a in states(router)] == [
        (TaskState.ACCEPTED, "t2"),
        (TaskState.TRANSFERRED, "t2"),
        (TaskState.OFFERED, "t1"),
    ]
    assert router.tasks[task].history[0] == (T0, "queued")


def test_follow_ups_stay_with_the_open_task_and_returning_customers_get_their_agent() -> None:
    router = new_router()
    agent(router, "ana", now=T0)
    agent(router, "bo", now=T0 + 1)
    first = work(router, conversation="c1", customer="cust-1")
    router.act("ana", first, TaskAction.ACCEPT, T0 + 1)
    assert (
        router.enqueue(
            task_id="follow-up",
            interaction_id="i",
            conversation_key="c1",
            customer_ref="cust-1",
            channel=Channel.WEBCHAT,
            text=None,
            skills=(),
            priority=0,
            now=T0 + 2,
        )
        is None
    )
    router.act("ana", first, TaskAction.COMPLETE, T0 + 3)
    router.drain()
    # bo has been idle longer, but the returning customer prefers ana.
    second = work(router, conversation="c2", customer="cust-1", now=T0 + 100)
    assert [(s, a) for t, s, a in states(router) if t == second] == [
        (TaskState.QUEUED, None),
        (TaskState.OFFERED, "ana"),
    ]


def test_a_sticky_offer_leaves_the_queue_count_alone() -> None:
    """Found by the resilience run with agents at work: work offered straight to the
    customer's last agent never entered the queue, yet was counted out of it, so the
    queue's waiting count went negative and the next task's position (-5) made an
    invalid event that stopped routing."""
    router = new_router()
    agent(router, "ana", capacity={ChannelClass.CHAT: 3}, max_total=3)
    first = work(router, customer="cust-1")
    router.act("ana", first, TaskAction.ACCEPT, T0)
    router.act("ana", first, TaskAction.COMPLETE, T0 + 1)
    for n in range(3):
        work(router, customer="cust-1", now=T0 + 10 + n)  # each offered to ana at once
    router.drain()
    assert all(queue.waiting == 0 for queue in router.queues.values())
    waiting = work(router, now=T0 + 20)
    [queued] = [c for c in router.drain() if c.task_id == waiting]
    assert (queued.state, queued.queue_position) == (TaskState.QUEUED, 1)


def test_sticky_work_falls_back_to_the_queue_when_the_agent_stays_busy() -> None:
    router = new_router()
    agent(router, "ana", capacity={ChannelClass.CHAT: 1}, max_total=1)
    first = work(router, customer="cust-1")
    router.act("ana", first, TaskAction.ACCEPT, T0)
    router.act("ana", first, TaskAction.COMPLETE, T0 + 1)
    blocker = work(router, now=T0 + 2)
    router.act("ana", blocker, TaskAction.ACCEPT, T0 + 2)
    agent(router, "bo", now=T0 + 3)
    router.set_presence("bo", Presence.BREAK, "lunch", T0 + 3)
    router.drain()
    again = work(router, customer="cust-1", now=T0 + 10)
    router.set_presence("bo", Presence.AVAILABLE, None, T0 + 11)
    assert [s for t, s, _ in states(router) if t == again] == [TaskState.QUEUED], "reserved"
    router.tick(T0 + 10 + 30)
    assert states(router) == [(again, TaskState.OFFERED, "bo")]


def test_abandonment_cancels_waiting_work_and_frees_the_offer() -> None:
    router = new_router()
    waiting = work(router, conversation="gone")
    router.cancel_conversation("gone", T0 + 5, "caller hung up")
    assert [(s) for _, s, _ in states(router)] == [TaskState.QUEUED, TaskState.ABANDONED]
    assert waiting not in router.tasks
    agent(router, "ana", capacity={ChannelClass.CHAT: 1}, max_total=1)
    offered = work(router, conversation="left")
    router.cancel_conversation("left", T0 + 6, "chat closed")
    assert router.agents["ana"].held[ChannelClass.CHAT] == 0
    assert offered not in router.tasks
    stats = {row["queue"]: row for row in router.queue_stats(T0 + 7)}
    assert stats["messaging"]["abandoned"] == 2


def test_invalid_actions_are_refused() -> None:
    router = new_router()
    agent(router, "ana")
    agent(router, "bo")
    task = work(router)
    with pytest.raises(InvalidAction):
        router.act("bo", task, TaskAction.ACCEPT, T0)
    with pytest.raises(InvalidAction):
        router.act("ana", task, TaskAction.COMPLETE, T0)
    with pytest.raises(InvalidAction):
        router.act("ana", "nope", TaskAction.ACCEPT, T0)


def test_queue_statistics() -> None:
    router = new_router()
    agent(router, "ana", capacity={ChannelClass.CHAT: 1}, max_total=1)
    fast = work(router, now=T0)
    router.act("ana", fast, TaskAction.ACCEPT, T0 + 10)
    slow = work(router, now=T0 + 11)
    router.act("ana", fast, TaskAction.COMPLETE, T0 + 100)
    router.act("ana", slow, TaskAction.ACCEPT, T0 + 101)
    work(router, now=T0 + 102)
    [messaging] = [r for r in router.queue_stats(T0 + 112) if r["queue"] == "messaging"]
    assert messaging["answered"] == 2
    assert messaging["service_level_percent"] == 50.0  # 10 s within 60 s, 90 s not
    assert messaging["average_speed_of_answer_seconds"] == 50.0
    assert messaging["waiting"] == 1
    assert messaging["longest_wait_seconds"] == 10.0
    assert (messaging["agents_available"], messaging["agents_busy"]) == (0, 1)  # ana is full


def test_queue_statistics_count_the_queue_s_agents_free_busy_and_on_break() -> None:
    router = new_router()
    for name in ("ana", "bo", "cy", "di"):
        agent(router, name, capacity={ChannelClass.CHAT: 1}, max_total=1)
    router.act("ana", work(router), TaskAction.ACCEPT, T0 + 1)  # full
    router.set_presence("bo", Presence.BREAK, "lunch", T0 + 2)
    router.set_presence("cy", Presence.OFFLINE, None, T0 + 2)
    [messaging] = [r for r in router.queue_stats(T0 + 3) if r["queue"] == "messaging"]
    assert messaging["agents_available"] == 1  # di
    assert messaging["agents_busy"] == 1  # ana
    assert messaging["agents_on_break"] == 1  # bo; cy signed out counts nowhere


def test_requirement_expressions() -> None:
    agent_attrs = attributes_of(
        AgentConfigured(
            agent_id="a", skills={"billing": 3}, languages=("ja",), tier=2, teams=("vip",)
        )
    )
    assert parse_requirement("billing>=3 & lang=ja & tier>=2 & team=vip").accepts(agent_attrs)
    assert parse_requirement("billing").accepts(agent_attrs)
    assert not parse_requirement("billing>3").accepts(agent_attrs)
    assert not parse_requirement("lang=en").accepts(agent_attrs)
    assert parse_requirement("").accepts(agent_attrs)
    for bad in ("billing>=x", "lang>=2", "??"):
        with pytest.raises(InvalidRequirement):
            parse_requirement(bad)


def test_a_snapshot_resumes_exactly_where_it_left_off() -> None:
    from router_service.domain import snapshot

    def scenario(router: TenantRouter, *, restart_at: int | None) -> list[tuple[object, ...]]:
        log: list[tuple[object, ...]] = []
        steps: list[Callable[[TenantRouter], object]] = [
            lambda r: agent(r, "ana", now=T0),
            lambda r: work(r, conversation="a", customer="c1", now=T0 + 1),
            lambda r: work(r, conversation="b", now=T0 + 2),
            lambda r: work(r, conversation="c", now=T0 + 3),
            lambda r: agent(r, "bo", now=T0 + 4, capacity={ChannelClass.CHAT: 1}, max_total=1),
            lambda r: r.tick(T0 + 40),
            lambda r: r.set_presence("ana", Presence.AVAILABLE, None, T0 + 41),
            lambda r: r.tick(T0 + 80),
        ]
        for index, step in enumerate(steps):
            if index == restart_at:
                router = snapshot.load(snapshot.dump(router))
            step(router)
            log += [(c.task_id[-2:], c.state, c.agent_id, c.step) for c in router.drain()]
        return log

    global _ids
    _ids = itertools.count(1000)
    straight = scenario(new_router(), restart_at=None)
    for restart_at in range(1, 8):
        _ids = itertools.count(1000)
        assert scenario(new_router(), restart_at=restart_at) == straight, restart_at


def test_outside_business_hours_work_waits_and_is_offered_at_opening() -> None:
    monday_8am_tokyo = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp() - 9 * 3600
    router = new_router()
    hours = BusinessHours(timezone="Asia/Tokyo", opens=time(9), closes=time(18))
    router.configure_queue(
        QueueConfigured(name="messaging", channels=("webchat",), business_hours=hours),
        monday_8am_tokyo,
    )
    agent(router, "ana", now=monday_8am_tokyo)
    task = work(router, now=monday_8am_tokyo + 60)
    router.tick(monday_8am_tokyo + 120)
    assert [s for _, s, _ in states(router)] == [TaskState.QUEUED], "closed: no offer"
    [row] = [r for r in router.queue_stats(monday_8am_tokyo + 120) if r["queue"] == "messaging"]
    assert row["open"] is False
    router.tick(monday_8am_tokyo + 3600)
    assert states(router) == [(task, TaskState.OFFERED, "ana")]


def test_daily_figures_start_again_after_midnight() -> None:
    router = new_router()
    agent(router, "ana")
    first = work(router, now=T0)
    router.act("ana", first, TaskAction.ACCEPT, T0 + 1)
    [today] = [r for r in router.queue_stats(T0 + 2) if r["queue"] == "messaging"]
    assert today["answered"] == 1
    [tomorrow] = [r for r in router.queue_stats(T0 + 86_400) if r["queue"] == "messaging"]
    assert tomorrow["answered"] == 0


def test_language_routes_to_the_queue_that_speaks_it() -> None:
    router = new_router()
    router.configure_queue(
        QueueConfigured(name="japanese", requires="lang=ja", languages=("ja",)), T0
    )
    agent(router, "en-speaker", languages=("en",))
    agent(router, "ja-speaker", languages=("ja",))
    task = router.enqueue(
        task_id="t-ja",
        interaction_id="i-ja",
        conversation_key="c-ja",
        customer_ref=None,
        channel=Channel.LINE,
        text="こんにちは",
        skills=(),
        priority=0,
        now=T0,
        language="ja",
    )
    assert task is not None
    assert task.queue == "japanese"
    assert [(s, a) for _, s, a in states(router)][-1] == (TaskState.OFFERED, "ja-speaker")


def test_callbacks_wait_in_their_queue_one_per_customer() -> None:
    from cc_common.events import CALLBACK_REQUESTED, CallbackRequested, Envelope
    from router_service.consumers.worker import apply_event

    router = new_router()

    def request(n: int) -> Envelope[CallbackRequested]:
        return Envelope[CallbackRequested](
            id=uuid.uuid4(),
            type=CALLBACK_REQUESTED,
            tenant_id="acme",
            occurred_at=datetime.now(UTC),
            source="case",
            data=CallbackRequested(customer_id="cust-1", phone="+819012345678", reason="missed"),
        )

    apply_event(router, request(1), T0)
    apply_event(router, request(2), T0 + 1)
    [queued] = router.drain()
    assert (queued.state, queued.queue, queued.channel) == (
        TaskState.QUEUED,
        "callbacks",
        Channel.VOICE,
    )


def test_the_policy_can_change_and_survives_a_restart() -> None:
    from router_service.domain import snapshot

    router = new_router()
    router.configure_queue(
        QueueConfigured(name="billing", requires="billing", keywords=("invoice",)), T0
    )
    agent(router, "idle-novice", now=T0, skills={"billing": 1})
    agent(router, "busy-expert", now=T0 + 50, skills={"billing": 5})
    router.configure_policy(RouterPolicy(prefer="proficiency"), T0 + 60)
    restored = snapshot.load(snapshot.dump(router))
    assert restored.policy.prefer == "proficiency"
    restored.drain()
    work(restored, text="invoice question", now=T0 + 61)
    offered = [a for _, s, a in states(restored) if s is TaskState.OFFERED]
    assert offered == ["busy-expert"], "the most proficient, not the longest idle"


def test_work_answered_outside_the_router_counts_as_answered_then_completes() -> None:
    # Amazon Connect's own ACD answered the call our router had queued.
    router = new_router()
    task = work(router, channel=Channel.VOICE, conversation="call:connect:c1", now=T0)
    queue = router.tasks[task].queue
    router.drain()
    router.answer_elsewhere("call:connect:c1", "ana-at-connect", T0 + 12)
    [accepted] = router.drain()
    assert (accepted.state, accepted.agent_id, accepted.wait_seconds) == (
        TaskState.ACCEPTED,
        "elsewhere:ana-at-connect",
        12,
    )
    router.cancel_conversation("call:connect:c1", T0 + 300, "customer left")
    [completed] = router.drain()
    assert completed.state is TaskState.COMPLETED
    assert task not in router.tasks
    stats = {s["queue"]: s for s in router.queue_stats(T0 + 300)}
    assert (stats[queue]["answered"], stats[queue]["abandoned"]) == (1, 0)


def test_an_offered_task_answered_elsewhere_frees_the_agent_it_was_offered_to() -> None:
    router = new_router()
    agent(router, "bo")
    first = work(router, channel=Channel.VOICE, conversation="call:c1")
    second = work(router, channel=Channel.VOICE, conversation="call:c2")
    assert (first, TaskState.OFFERED, "bo") in states(router)
    router.answer_elsewhere("call:c1", "connect-agent", T0 + 3)
    changes = states(router)
    assert (first, TaskState.ACCEPTED, "elsewhere:connect-agent") in changes
    assert (second, TaskState.OFFERED, "bo") in changes


def test_reconfigured_keywords_take_effect_after_work_was_classified() -> None:
    # The README's billing example under a running router (#16): classify, add the
    # keyword, classify again.
    router = new_router()
    router.configure_queue(QueueConfigured(name="billing"), T0)
    before = router.classify(Channel.WEBCHAT, "My invoice is wrong", ())
    assert before != "billing"
    router.configure_queue(QueueConfigured(name="billing", keywords=("invoice",)), T0 + 1)
    assert router.classify(Channel.WEBCHAT, "My invoice is wrong", ()) == "billing"
    router.configure_queue(QueueConfigured(name="billing", keywords=("refund",)), T0 + 2)
    assert router.classify(Channel.WEBCHAT, "My invoice is wrong", ()) == before


@pytest.mark.parametrize(
    ("local", "open_always", "open_at_night"),
    [
        (datetime(2026, 12, 2, 23, 59, 59), True, True),  # Wednesday, a second to midnight
        (datetime(2026, 12, 3, 0, 0), True, True),  # Thursday midnight: Wednesday's night
        (datetime(2026, 12, 3, 5, 59), True, True),
        (datetime(2026, 12, 3, 6, 0), True, False),
        (datetime(2026, 12, 3, 21, 59), True, False),
        (datetime(2026, 12, 5, 23, 0), True, False),  # Saturday: no night shift
        (datetime(2026, 12, 7, 1, 0), True, False),  # Monday early: Sunday had none
        (datetime(2026, 1, 31, 0, 30), True, True),  # month end, a Saturday: Friday's night
        (datetime(2026, 1, 31, 23, 59, 59), True, False),  # no shift on Saturday night
    ],
)
def test_business_hours_through_midnight(
    local: datetime, open_always: bool, open_at_night: bool
) -> None:
    always = BusinessHours.always("Asia/Tokyo")
    nights = BusinessHours(
        timezone="Asia/Tokyo", days=(0, 1, 2, 3, 4), opens=time(22), closes=time(6)
    )
    at = local.replace(tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    assert always.is_open(at) is open_always
    assert nights.is_open(at) is open_at_night


def test_a_requirement_compares_to_ascii_numbers_only() -> None:
    with pytest.raises(InvalidRequirement):
        parse_requirement("billing>=²")
