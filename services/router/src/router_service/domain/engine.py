"""The ACD core of one tenant: queues, agents, offers, escalation (pure, no I/O).

Every method takes ``now`` (epoch seconds) and appends the task changes it causes
to ``changes``; the caller drains them into routing events. Given the same inputs
in the same order it makes the same decisions, so a recorded stream replays exactly.

Matching: each queue keeps a heap of waiting tasks per capacity class whose key,
``rate * enqueued_at - priority``, orders tasks by aged priority without re-sorting
(linear aging keeps their relative order); and a heap of eligible agents per class
ordered by the tenant's policy (longest idle, then proficiency). Stale heap entries
are skipped lazily by version.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cc_common.events import (
    AgentConfigured,
    Channel,
    ChannelClass,
    Presence,
    QueueConfigured,
    TaskAction,
    TaskState,
)
from router_service.domain.defaults import DEFAULT_QUEUES, FALLBACK_QUEUE, RouterPolicy
from router_service.domain.model import (
    WAITING,
    Agent,
    Change,
    Queue,
    Task,
    attributes_of,
    channel_class,
)

_SCAN = 8  # heap entries looked at past ones an agent already refused
_ELSEWHERE = "elsewhere:"  # the agent_id prefix of work answered outside this router


@dataclass(frozen=True, slots=True)
class _Rules:
    """Classification rules compiled from the queues' configuration."""

    order: list[str]
    keywords: re.Pattern[str] | None
    keyword_queue: dict[str, int]
    skill_queue: dict[str, int]
    channel_queue: dict[str, str]
    language_queue: dict[str, str]


class InvalidAction(ValueError):
    """An agent action that does not apply (unknown task, not theirs, wrong state)."""


class TenantRouter:
    def __init__(self, tenant_id: str, policy: RouterPolicy | None = None) -> None:
        self.tenant_id = tenant_id
        self.policy = policy or RouterPolicy()
        self.queues: dict[str, Queue] = {q.name: Queue.from_config(q) for q in DEFAULT_QUEUES}
        self.agents: dict[str, Agent] = {}
        self.tasks: dict[str, Task] = {}
        self.by_conversation: dict[str, str] = {}
        self.last_agent: dict[str, tuple[str, float]] = {}
        self.timers: list[tuple[float, int, str, str, int]] = []
        self.reserved: dict[str, list[str]] = {}
        self.agent_heaps: dict[tuple[str, ChannelClass], list[tuple[float, float, int, str, int]]]
        self.agent_heaps = {}
        self.changes: list[Change] = []
        self.decisions = 0
        self._seq = 0
        self._rules: _Rules | None = None
        self._dirty: dict[str, Agent] = {}
        self._closed: set[str] = set()

    # -- configuration -------------------------------------------------------------

    def configure_queue(self, config: QueueConfigured, now: float) -> None:
        """Create or replace a queue; agents' eligibility is recomputed."""
        old = self.queues.get(config.name)
        queue = Queue.from_config(config)
        if old is not None:
            queue.heaps, queue.waiting = old.heaps, old.waiting
            queue.offered, queue.answered = old.offered, old.answered
            queue.answered_in_sla, queue.abandoned = old.answered_in_sla, old.abandoned
            queue.total_answer_seconds = old.total_answer_seconds
        self.queues[config.name] = queue
        self._rules = None  # keywords, skills and languages are compiled again on next use
        queue.eligible = {
            a.id for a in self.agents.values() if queue.requirement.accepts(a.attributes)
        }
        for agent_id in queue.eligible:
            self._agent_changed(self.agents[agent_id])
        self._dispatch_queue(queue, now)

    def configure_policy(self, policy: RouterPolicy, now: float) -> None:
        """Replace the tenant's policy; agents are listed again in its order."""
        self.policy = policy
        self.agent_heaps = {}
        for agent in self.agents.values():
            self._agent_changed(agent)
        for agent in sorted(self.agents.values(), key=lambda a: a.id):
            self._fill_agent(agent, now)

    def configure_agent(self, profile: AgentConfigured, now: float) -> None:
        """Create or update an agent's skills, tier and capacity."""
        agent = self.agents.get(profile.agent_id)
        if agent is None:
            agent = Agent(profile=profile, attributes=attributes_of(profile), idle_since=now)
            self.agents[profile.agent_id] = agent
        else:
            agent.profile, agent.attributes = profile, attributes_of(profile)
        for queue in self.queues.values():
            self._update_eligibility(agent, queue)
        self._agent_changed(agent)
        self._fill_agent(agent, now)

    def _update_eligibility(self, agent: Agent, queue: Queue) -> None:
        name = queue.config.name
        if queue.requirement.accepts(agent.attributes):
            queue.eligible.add(agent.id)
            agent.queues[name] = -float(queue.requirement.proficiency(agent.attributes))
        else:
            queue.eligible.discard(agent.id)
            agent.queues.pop(name, None)

    # -- work arriving and leaving -------------------------------------------------

    def classify(
        self,
        channel: Channel,
        text: str | None,
        skills: Iterable[str],
        language: str | None = None,
    ) -> str:
        """The queue for new work: keyword and skill rules, then language, then channel.

        Among several matching queues the one configured first wins.
        """
        rules = self._rules or self._compile_rules()
        candidates: list[int] = []
        if text and rules.keywords is not None:
            for found in rules.keywords.findall(text.lower()):
                candidates.append(rules.keyword_queue[found])
        for skill in skills:
            if skill in rules.skill_queue:
                candidates.append(rules.skill_queue[skill])
        if candidates:
            return rules.order[min(candidates)]
        if language and language in rules.language_queue:
            return rules.language_queue[language]
        return rules.channel_queue.get(channel.value, FALLBACK_QUEUE)

    def _compile_rules(self) -> _Rules:
        order = list(self.queues)
        keyword_queue: dict[str, int] = {}
        skill_queue: dict[str, int] = {}
        channel_queue: dict[str, str] = {}
        language_queue: dict[str, str] = {}
        for index, name in enumerate(order):
            config = self.queues[name].config
            for keyword in config.keywords:
                if keyword:
                    keyword_queue.setdefault(keyword.lower(), index)
            for skill in config.skills_hint:
                skill_queue.setdefault(skill, index)
            for channel in config.channels:
                channel_queue.setdefault(channel, name)
            for language in config.languages:
                language_queue.setdefault(language, name)
        pattern = "|".join(re.escape(k) for k in sorted(keyword_queue, key=len, reverse=True))
        self._rules = _Rules(
            order=order,
            keywords=re.compile(pattern) if pattern else None,
            keyword_queue=keyword_queue,
            skill_queue=skill_queue,
            channel_queue=channel_queue,
            language_queue=language_queue,
        )
        return self._rules

    def enqueue(
        self,
        *,
        task_id: str,
        interaction_id: str,
        conversation_key: str,
        customer_ref: str | None,
        channel: Channel,
        text: str | None,
        skills: Iterable[str],
        priority: int,
        now: float,
        language: str | None = None,
        queue_name: str | None = None,
    ) -> Task | None:
        """Queue new work, unless the conversation already has an open task."""
        if conversation_key in self.by_conversation or task_id in self.tasks:
            return None
        chosen = queue_name if queue_name in self.queues else None
        queue = self.queues[chosen or self.classify(channel, text, skills, language)]
        task = Task(
            id=task_id,
            interaction_id=interaction_id,
            conversation_key=conversation_key,
            customer_ref=customer_ref,
            channel=channel,
            queue=queue.config.name,
            priority=priority + queue.config.priority,
            created_at=now,
            enqueued_at=now,
        )
        self.tasks[task_id] = task
        self.by_conversation[conversation_key] = task_id
        self._emit(task, TaskState.QUEUED, now, position=queue.waiting + 1)
        self._arm_escalation(task, queue, now)
        sticky = self._sticky_agent(task, now) if queue.is_open(now) else None
        if sticky is not None:
            if sticky.can_take(task.klass):
                self._offer(task, sticky, now, counted=True)  # it never entered the queue
                return task
            self._reserve(task, sticky, now + self.policy.sticky_wait_seconds)
            return task
        self._push_task(task)
        self._dispatch_task(task, now)
        return task

    def answer_elsewhere(self, conversation_key: str, agent_ref: str, now: float) -> None:
        """An agent answered the conversation outside this router (the provider's own ACD).

        Waiting or offered work counts as answered, with its wait, not as abandoned. It
        stays accepted under that agent, who is not ours and so holds no capacity here,
        until the contact ends. Our own agent's acceptance (already accepted) is a no-op.
        """
        task = self.tasks.get(self.by_conversation.get(conversation_key, ""))
        if task is None or task.state not in (TaskState.QUEUED, TaskState.OFFERED):
            return
        offered_to = self.agents.get(task.agent_id or "")
        self._leave_queue_or_agent(task, now)
        task.agent_id = f"{_ELSEWHERE}{agent_ref}"
        self._accept(task, now)
        if offered_to is not None:
            self._fill_agent(offered_to, now)

    def cancel_conversation(self, conversation_key: str, now: float, reason: str) -> None:
        """The customer left: waiting or offered work of the conversation is abandoned;
        work answered elsewhere is complete."""
        task = self.tasks.get(self.by_conversation.get(conversation_key, ""))
        if task is not None and task.state is TaskState.ACCEPTED:
            if (task.agent_id or "").startswith(_ELSEWHERE):
                self._close(task, TaskState.COMPLETED, now, note=reason, agent_id=task.agent_id)
            return
        if task is None or task.state not in (TaskState.QUEUED, TaskState.OFFERED):
            return
        agent = self.agents.get(task.agent_id or "")
        self._leave_queue_or_agent(task, now)
        self.queues[task.queue].roll_day(now)
        self.queues[task.queue].abandoned += 1
        self._close(task, TaskState.ABANDONED, now, note=reason)
        if agent is not None:
            self._fill_agent(agent, now)

    # -- agents ------------------------------------------------------------------

    def set_presence(
        self, agent_id: str, presence: Presence, reason: str | None, now: float
    ) -> None:
        """Presence change; offers of an agent who leaves go back to the queue."""
        agent = self.agents.get(agent_id)
        if agent is None:
            self.configure_agent(AgentConfigured(agent_id=agent_id), now)
            agent = self.agents[agent_id]
        was = agent.presence
        agent.become(presence, reason, now)
        if presence is Presence.AVAILABLE and was is not Presence.AVAILABLE:
            agent.idle_since = now
        if presence is not Presence.AVAILABLE:
            for task_id in sorted(agent.tasks):
                task = self.tasks[task_id]
                if task.state is TaskState.OFFERED:
                    self._requeue(task, agent, TaskState.REJECTED, now, note=f"agent {presence}")
        self._agent_changed(agent)
        self._fill_agent(agent, now)

    def act(
        self,
        agent_id: str,
        task_id: str,
        action: TaskAction,
        now: float,
        *,
        target_queue: str | None = None,
        target_agent_id: str | None = None,
        note: str | None = None,
    ) -> None:
        """An agent's task action; raises InvalidAction when it does not apply."""
        task = self.tasks.get(task_id)
        agent = self.agents.get(agent_id)
        if task is None or agent is None:
            raise InvalidAction(f"unknown task {task_id} or agent {agent_id}")
        holds = task.agent_id == agent_id
        if action is TaskAction.ACCEPT:
            if not holds or task.state is not TaskState.OFFERED:
                raise InvalidAction(f"task {task_id} is not offered to {agent_id}")
            self._accept(task, now)
        elif action is TaskAction.REJECT:
            if not holds or task.state is not TaskState.OFFERED:
                raise InvalidAction(f"task {task_id} is not offered to {agent_id}")
            self._requeue(task, agent, TaskState.REJECTED, now, note=note)
            self._fill_agent(agent, now)
        elif action is TaskAction.WRAP_UP:
            if not holds or task.state is not TaskState.ACCEPTED:
                raise InvalidAction(f"{agent_id} does not hold task {task_id}")
            agent.become(Presence.WRAP_UP, None, now)
            self._agent_changed(agent)
            task.history.append((now, "wrap-up"))
        elif action is TaskAction.COMPLETE:
            if not holds or task.state is not TaskState.ACCEPTED:
                raise InvalidAction(f"{agent_id} does not hold task {task_id}")
            self._release(task, agent, now)
            if task.customer_ref:
                until = now + self.policy.remember_last_agent_seconds
                self.last_agent[task.customer_ref] = (agent_id, until)
            self._close(task, TaskState.COMPLETED, now, note=note, agent_id=agent_id)
            if agent.presence is Presence.WRAP_UP:
                agent.become(Presence.AVAILABLE, None, now)
                agent.idle_since = now
            self._agent_changed(agent)
            self._fill_agent(agent, now)
        else:
            self._move(task, agent, action, now, target_queue, target_agent_id, note)

    # -- time ----------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Fire due timers: offer timeouts, escalation steps, expired reservations."""
        for queue in self.queues.values():
            if queue.config.business_hours is None:
                continue
            name = queue.config.name
            if not queue.is_open(now):
                self._closed.add(name)
            elif name in self._closed:
                self._closed.discard(name)
                self._dispatch_queue(queue, now)
        while self.timers and self.timers[0][0] <= now:
            _, _, kind, task_id, stamp = heapq.heappop(self.timers)
            task = self.tasks.get(task_id)
            if task is None:
                continue
            if kind == "offer" and task.state is TaskState.OFFERED and task.version == stamp:
                agent = self.agents[task.agent_id or ""]
                self._requeue(task, agent, TaskState.TIMED_OUT, now, note="offer timed out")
                if self.policy.away_on_missed_offer:
                    agent.become(Presence.BREAK, "missed offer", now)
                    self._agent_changed(agent)
                self._fill_agent(agent, now)
            elif kind.startswith("escalate:"):
                _, armed_in, step = kind.split(":")
                if task.queue != armed_in or task.queue_epoch != stamp:
                    continue  # the task moved on since this step was armed
                if task.state is WAITING:
                    self._escalate_over_time(task, int(step), now)
                elif task.state is TaskState.OFFERED:
                    self._timer(now + 1, kind, task, stamp)  # look again once the offer settles
            elif kind == "reserve" and task.reserved_for and task.version == stamp:
                self._unreserve(task)
                self._push_task(task)
                self._dispatch_task(task, now)

    def drain(self) -> list[Change]:
        """The changes since the last drain, in order."""
        changes, self.changes = self.changes, []
        return changes

    # -- statistics ----------------------------------------------------------------

    def agent_work(self, agent_id: str, now: float) -> dict[str, Any] | None:
        """The agent's presence, capacity and tasks in hand: offers (with when they
        expire) and accepted work. None for an agent the router does not know."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return None
        expiries = {
            task_id: due
            for due, _, kind, task_id, stamp in self.timers
            if kind == "offer" and task_id in agent.tasks and self.tasks[task_id].version == stamp
        }
        tasks = []
        for task in sorted(
            (self.tasks[t] for t in agent.tasks if t in self.tasks), key=lambda t: t.created_at
        ):
            expires = expiries.get(task.id) if task.state is TaskState.OFFERED else None
            tasks.append(
                {
                    "task_id": task.id,
                    "state": task.state.value,
                    "channel": task.channel.value,
                    "queue": task.queue,
                    "interaction_id": task.interaction_id,
                    "customer_ref": task.customer_ref,
                    "priority": task.priority,
                    "waited_seconds": round(now - task.created_at, 1),
                    "offer_expires_at": expires,
                    "offer_expires_in_seconds": (
                        round(max(0.0, expires - now), 1) if expires is not None else None
                    ),
                }
            )
        return {
            "agent_id": agent.id,
            "display_name": agent.profile.display_name,
            "teams": list(agent.profile.teams),
            "presence": agent.presence.value,
            "reason": agent.reason,
            "capacity": {k.value: n for k, n in agent.profile.capacity.items()},
            "in_hand": {k.value: n for k, n in agent.held.items() if n},
            "tasks": tasks,
        }

    def agents_board(self, now: float) -> list[dict[str, Any]]:
        """Every agent's presence, time in it and work in hand per channel (the
        supervisor's wallboard), by agent id."""
        return [
            {
                "agent_id": agent.id,
                "display_name": agent.profile.display_name,
                "presence": agent.presence.value,
                "reason": agent.reason,
                "seconds_in_state": round(max(0.0, now - agent.presence_since), 1)
                if agent.presence_since
                else None,
                "in_hand": {k.value: n for k, n in agent.held.items() if n},
                "capacity": {k.value: n for k, n in agent.profile.capacity.items()},
                "offers": sum(
                    1
                    for task_id in agent.tasks
                    if task_id in self.tasks and self.tasks[task_id].state is TaskState.OFFERED
                ),
            }
            for agent in sorted(self.agents.values(), key=lambda a: a.id)
        ]

    def queue_stats(self, now: float) -> list[dict[str, float | int | str | None]]:
        """Live figures per queue: waiting, longest wait, its agents free, busy and on
        break, service level."""
        oldest: dict[str, float] = {}
        waiting: dict[str, int] = {}
        for task in self.tasks.values():
            if task.state is WAITING:
                waiting[task.queue] = waiting.get(task.queue, 0) + 1
                oldest[task.queue] = min(oldest.get(task.queue, now), task.created_at)
        rows: list[dict[str, float | int | str | None]] = []
        for name, queue in sorted(self.queues.items()):
            queue.roll_day(now)
            free = busy = on_break = 0
            for agent_id in queue.eligible:
                agent = self.agents[agent_id]
                if any(agent.can_take(k) for k in ChannelClass):
                    free += 1
                elif agent.presence is Presence.BREAK:
                    on_break += 1
                elif agent.presence is not Presence.OFFLINE:
                    busy += 1  # signed in, full or busy or in after-call work
            rows.append(
                {
                    "queue": name,
                    "open": queue.is_open(now),
                    "waiting": waiting.get(name, 0),
                    "longest_wait_seconds": round(now - oldest.get(name, now), 1),
                    "agents_available": free,
                    "agents_busy": busy,
                    "agents_on_break": on_break,
                    "offered": queue.offered,
                    "answered": queue.answered,
                    "abandoned": queue.abandoned,
                    "service_level_percent": (
                        round(100 * queue.answered_in_sla / queue.answered, 1)
                        if queue.answered
                        else None
                    ),
                    "average_speed_of_answer_seconds": (
                        round(queue.total_answer_seconds / queue.answered, 1)
                        if queue.answered
                        else None
                    ),
                }
            )
        return rows

    # -- internals: matching ---------------------------------------------------------

    def _dispatch_task(self, task: Task, now: float) -> None:
        if not self.queues[task.queue].is_open(now):
            return
        agent = self._best_agent(task)
        if agent is not None:
            self._offer(task, agent, now)

    def _dispatch_queue(self, queue: Queue, now: float) -> None:
        for agent_id in sorted(queue.eligible):
            self._fill_agent(self.agents[agent_id], now)

    def _fill_agent(self, agent: Agent, now: float) -> None:
        """Offer the agent the best waiting work it can take, until it is full."""
        while True:
            task = self._best_task(agent, now)
            if task is None:
                return
            if task.reserved_for:
                self._unreserve(task)
            else:
                self.queues[task.queue].waiting -= 1
            self._offer(task, agent, now, counted=True)

    def _best_task(self, agent: Agent, now: float) -> Task | None:
        takes = [klass for klass in ChannelClass if agent.can_take(klass)]
        if not takes:
            return None
        best: Task | None = None
        best_score = float("-inf")
        for task_id in self.reserved.get(agent.id, ()):
            task = self.tasks[task_id]
            if task.klass in takes:
                score = self._score(task, now) + self.policy.sla_boost * 2
                if score > best_score:
                    best, best_score = task, score
        for name in agent.queues:
            queue = self.queues[name]
            if queue.config.business_hours is not None and not queue.is_open(now):
                continue
            heaps = queue.heaps
            for klass in takes:
                heap = heaps.get(klass)
                if not heap:
                    continue
                head = self._head_task(heap, name, agent.id)
                if head is not None:
                    score = self._score(head, now)
                    if score > best_score:
                        best, best_score = head, score
        return best

    def _head_task(
        self, heap: list[tuple[float, int, str, int]], queue: str, agent_id: str
    ) -> Task | None:
        while heap:
            _, _, task_id, version = heap[0]
            task = self.tasks.get(task_id)
            if (
                task is None
                or task.version != version
                or task.state is not WAITING
                or task.queue != queue
                or task.reserved_for
            ):
                heapq.heappop(heap)
                continue
            if agent_id not in task.tried_agents:
                return task
            for entry in heapq.nsmallest(_SCAN, heap)[1:]:
                other = self.tasks.get(entry[2])
                if (
                    other is not None
                    and other.version == entry[3]
                    and other.state is WAITING
                    and other.queue == queue
                    and not other.reserved_for
                    and agent_id not in other.tried_agents
                ):
                    return other
            return None
        return None

    def _best_agent(self, task: Task) -> Agent | None:
        self._flush()
        heap = self.agent_heaps.get((task.queue, task.klass))
        while heap:
            _, _, _, agent_id, version = heap[0]
            agent = self.agents.get(agent_id)
            if (
                agent is None
                or agent.version != version
                or agent_id not in self.queues[task.queue].eligible
                or not agent.can_take(task.klass)
            ):
                heapq.heappop(heap)
                continue
            if agent_id not in task.tried_agents:
                return agent
            for entry in heapq.nsmallest(_SCAN, heap)[1:]:
                other = self.agents.get(entry[3])
                if (
                    other is not None
                    and other.version == entry[4]
                    and other.can_take(task.klass)
                    and other.id not in task.tried_agents
                ):
                    return other
            return None
        return None

    def _score(self, task: Task, now: float) -> float:
        config = self.queues[task.queue].config
        score = task.priority + config.aging_per_minute * (now - task.enqueued_at) / 60
        if (
            config.sla_seconds
            and now - task.created_at >= config.sla_seconds * self.policy.sla_warning_fraction
        ):
            score += self.policy.sla_boost
        return score

    # -- internals: state changes ----------------------------------------------------

    def _offer(self, task: Task, agent: Agent, now: float, *, counted: bool = False) -> None:
        if not counted and not task.reserved_for:
            self.queues[task.queue].waiting -= 1
        task.state, task.agent_id = TaskState.OFFERED, agent.id
        task.version += 1
        agent.held[task.klass] += 1
        agent.tasks.add(task.id)
        agent.idle_since = now
        self._agent_changed(agent)
        queue = self.queues[task.queue]
        queue.roll_day(now)
        queue.offered += 1
        self.decisions += 1
        self._emit(task, TaskState.OFFERED, now, agent_id=agent.id)
        if queue.config.offer_timeout_seconds is None:
            self._accept(task, now)
        else:
            self._timer(now + queue.config.offer_timeout_seconds, "offer", task, task.version)

    def _accept(self, task: Task, now: float) -> None:
        queue = self.queues[task.queue]
        queue.roll_day(now)
        task.state = TaskState.ACCEPTED
        task.version += 1
        waited = now - task.created_at
        queue.answered += 1
        queue.total_answer_seconds += waited
        if queue.config.sla_seconds is None or waited <= queue.config.sla_seconds:
            queue.answered_in_sla += 1
        self._emit(task, TaskState.ACCEPTED, now, agent_id=task.agent_id)

    def _requeue(
        self, task: Task, agent: Agent, state: TaskState, now: float, note: str | None
    ) -> None:
        self._release(task, agent, now)
        task.tried_agents.add(agent.id)
        task.state = WAITING
        task.version += 1
        self._emit(task, state, now, agent_id=agent.id, note=note)
        self._push_task(task)
        self._dispatch_task(task, now)

    def _move(
        self,
        task: Task,
        agent: Agent,
        action: TaskAction,
        now: float,
        target_queue: str | None,
        target_agent_id: str | None,
        note: str | None,
    ) -> None:
        """Transfer to a queue or a named agent, or escalate to a higher tier's queue."""
        if task.state not in (TaskState.QUEUED, TaskState.OFFERED, TaskState.ACCEPTED):
            raise InvalidAction(f"task {task.id} is {task.state}")
        if action is TaskAction.ESCALATE and target_queue is None:
            tiers = self.queues[task.queue].config.tier_queues
            higher = sorted(t for t in tiers if t > agent.profile.tier)
            target_queue = tiers[higher[0]] if higher else None
        destination = target_queue or task.queue
        if destination not in self.queues:
            raise InvalidAction(f"no queue {destination!r} to {action.value} to")
        target = self.agents.get(target_agent_id or "")
        if target_agent_id and target is None:
            raise InvalidAction(f"no agent {target_agent_id!r}")
        self._leave_queue_or_agent(task, now)
        task.state, task.agent_id, task.queue = WAITING, None, destination
        task.tried_agents = set()
        task.version += 1
        state = TaskState.ESCALATED if action is TaskAction.ESCALATE else TaskState.TRANSFERRED
        self._emit(task, state, now, agent_id=agent.id, note=note)
        self._arm_escalation(task, self.queues[destination], now)
        if target is not None:
            self._reserve(task, target, now + self.policy.transfer_reserve_seconds)
            self._fill_agent(target, now)
        else:
            self._push_task(task)
            self._dispatch_task(task, now)
        self._fill_agent(agent, now)

    def _escalate_over_time(self, task: Task, step: int, now: float) -> None:
        queue = self.queues[task.queue]
        steps = self._steps(queue)
        if step >= len(steps) or steps[step][1] not in self.queues:
            return
        after, destination = steps[step]
        if task.reserved_for:
            self._unreserve(task)
        else:
            queue.waiting -= 1
        task.queue = destination
        task.version += 1
        self._emit(task, TaskState.ESCALATED, now, note=f"waited {after}s in {queue.config.name}")
        self._arm_escalation(task, self.queues[destination], now)
        self._push_task(task)
        self._dispatch_task(task, now)

    def _arm_escalation(self, task: Task, queue: Queue, now: float) -> None:
        """Timers for the queue's escalation steps, counted from entering the queue."""
        task.queue_epoch += 1
        for index, (after, _) in enumerate(self._steps(queue)):
            kind = f"escalate:{queue.config.name}:{index}"
            self._timer(now + after, kind, task, task.queue_epoch)

    @staticmethod
    def _steps(queue: Queue) -> list[tuple[int, str]]:
        return queue.steps

    def _sticky_agent(self, task: Task, now: float) -> Agent | None:
        remembered = self.last_agent.get(task.customer_ref or "")
        if remembered is None or remembered[1] < now:
            return None
        agent = self.agents.get(remembered[0])
        if agent is None or agent.id not in self.queues[task.queue].eligible:
            return None
        if agent.presence is not Presence.AVAILABLE:
            return None
        return agent

    def _reserve(self, task: Task, agent: Agent, until: float) -> None:
        task.reserved_for = agent.id
        task.version += 1
        self.reserved.setdefault(agent.id, []).append(task.id)
        self._timer(until, "reserve", task, task.version)

    def _unreserve(self, task: Task) -> None:
        held = self.reserved.get(task.reserved_for or "", [])
        if task.id in held:
            held.remove(task.id)
        task.reserved_for = None

    def _leave_queue_or_agent(self, task: Task, now: float) -> None:
        if task.state is WAITING:
            if task.reserved_for:
                self._unreserve(task)
            else:
                self.queues[task.queue].waiting -= 1
        elif task.agent_id in self.agents:
            self._release(task, self.agents[task.agent_id], now)

    def _release(self, task: Task, agent: Agent, now: float) -> None:
        agent.held[task.klass] -= 1
        agent.tasks.discard(task.id)
        agent.idle_since = now
        self._agent_changed(agent)

    def _close(
        self,
        task: Task,
        state: TaskState,
        now: float,
        *,
        note: str | None,
        agent_id: str | None = None,
    ) -> None:
        task.state = state
        task.version += 1
        self._emit(task, state, now, agent_id=agent_id, note=note)
        self.tasks.pop(task.id, None)
        if self.by_conversation.get(task.conversation_key) == task.id:
            del self.by_conversation[task.conversation_key]

    def _push_task(self, task: Task) -> None:
        queue = self.queues[task.queue]
        rate = queue.config.aging_per_minute / 60
        key = rate * task.enqueued_at - task.priority
        self._seq += 1
        heapq.heappush(
            queue.heaps.setdefault(task.klass, []), (key, self._seq, task.id, task.version)
        )
        queue.waiting += 1

    def _agent_changed(self, agent: Agent) -> None:
        """Invalidate the agent's heap entries; fresh ones are listed on the next flush."""
        agent.version += 1
        self._dirty[agent.id] = agent

    def _flush(self) -> None:
        """List changed agents where they can take work now (once per operation)."""
        if not self._dirty:
            return
        by_proficiency = self.policy.prefer == "proficiency"
        for agent in self._dirty.values():
            if agent.presence is not Presence.AVAILABLE:
                continue
            takes = [klass for klass in ChannelClass if agent.can_take(klass)]
            if not takes:
                continue
            for name, proficiency in agent.queues.items():
                first, second = (
                    (proficiency, agent.idle_since)
                    if by_proficiency
                    else (agent.idle_since, proficiency)
                )
                for klass in takes:
                    self._seq += 1
                    heapq.heappush(
                        self.agent_heaps.setdefault((name, klass), []),
                        (first, second, self._seq, agent.id, agent.version),
                    )
        self._dirty.clear()

    def _timer(self, due: float, kind: str, task: Task, stamp: int) -> None:
        self._seq += 1
        heapq.heappush(self.timers, (due, self._seq, kind, task.id, stamp))

    def _emit(
        self,
        task: Task,
        state: TaskState,
        now: float,
        *,
        agent_id: str | None = None,
        position: int | None = None,
        note: str | None = None,
    ) -> None:
        task.history.append((now, state.value))
        self.changes.append(
            Change(
                task_id=task.id,
                interaction_id=task.interaction_id,
                conversation_key=task.conversation_key,
                channel=task.channel,
                state=state,
                queue=task.queue,
                priority=task.priority,
                at=now,
                step=len(task.history),
                agent_id=agent_id,
                queue_position=position,
                wait_seconds=round(now - task.created_at, 3),
                note=note,
            )
        )


__all__ = ["InvalidAction", "TenantRouter", "channel_class"]
