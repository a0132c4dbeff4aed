"""The router's state: agents, queues, tasks, and the changes it announces (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cc_common.events import (
    AgentConfigured,
    BusinessHours,
    Channel,
    ChannelClass,
    Presence,
    QueueConfigured,
    TaskState,
)
from router_service.domain.requirements import AgentAttributes, Requirement, parse_requirement

_UTC_DAY = BusinessHours()
CHANNEL_CLASS = {Channel.VOICE: ChannelClass.VOICE, Channel.EMAIL: ChannelClass.EMAIL}
OPEN_STATES = frozenset({TaskState.QUEUED, TaskState.OFFERED, TaskState.ACCEPTED})
WAITING = TaskState.QUEUED


def channel_class(channel: Channel) -> ChannelClass:
    """Capacity class of a channel: every messaging channel counts as chat."""
    return CHANNEL_CLASS.get(channel, ChannelClass.CHAT)


@dataclass
class Task:
    id: str
    interaction_id: str
    conversation_key: str
    customer_ref: str | None
    channel: Channel
    queue: str
    priority: int
    created_at: float
    enqueued_at: float
    state: TaskState = TaskState.QUEUED
    agent_id: str | None = None
    version: int = 0
    tried_agents: set[str] = field(default_factory=set)
    reserved_for: str | None = None
    queue_epoch: int = 0
    history: list[tuple[float, str]] = field(default_factory=list)

    klass: ChannelClass = field(init=False)

    def __post_init__(self) -> None:
        self.klass = channel_class(self.channel)


@dataclass
class Agent:
    profile: AgentConfigured
    attributes: AgentAttributes
    presence: Presence = Presence.OFFLINE
    reason: str | None = None
    held: Counter[ChannelClass] = field(default_factory=Counter)
    tasks: set[str] = field(default_factory=set)
    idle_since: float = 0.0
    presence_since: float = 0.0
    """When the presence (or its reason) last changed: a supervisor's "time in state"."""
    version: int = 0
    queues: dict[str, float] = field(default_factory=dict)
    """Queues the agent may serve, with its (negated) proficiency for each."""

    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.id = self.profile.agent_id

    def become(self, presence: Presence, reason: str | None, now: float) -> None:
        """Change presence; the time in state restarts when it (or its reason) changes."""
        if (presence, reason) != (self.presence, self.reason):
            self.presence_since = now
        self.presence, self.reason = presence, reason

    def can_take(self, klass: ChannelClass) -> bool:
        """Available, and free capacity in ``klass`` and in total (voice is exclusive)."""
        if self.presence is not Presence.AVAILABLE:
            return False
        held = self.held
        total = held[ChannelClass.VOICE] + held[ChannelClass.CHAT] + held[ChannelClass.EMAIL]
        if total >= self.profile.max_total or held[klass] >= self.profile.capacity.get(klass, 0):
            return False
        if held[ChannelClass.VOICE] > 0:
            return False
        return not (klass is ChannelClass.VOICE and total > 0)


def attributes_of(profile: AgentConfigured) -> AgentAttributes:
    """What requirement expressions look at."""
    return AgentAttributes(
        skills=dict(profile.skills),
        languages=frozenset(profile.languages),
        tier=profile.tier,
        teams=frozenset(profile.teams),
    )


@dataclass
class Queue:
    config: QueueConfigured
    requirement: Requirement
    heaps: dict[ChannelClass, list[tuple[float, int, str, int]]] = field(default_factory=dict)
    waiting: int = 0
    eligible: set[str] = field(default_factory=set)
    offered: int = 0
    answered: int = 0
    answered_in_sla: int = 0
    abandoned: int = 0
    total_answer_seconds: float = 0.0
    day_ends_at: float = 0.0
    """When today's figures (offered, answered, ...) start again from zero."""

    steps: list[tuple[int, str]] = field(default_factory=list)
    """Escalation steps (seconds waited, destination), the overflow last."""

    def is_open(self, now: float) -> bool:
        """Within business hours (always, when the queue has none)."""
        hours = self.config.business_hours
        return hours is None or hours.is_open(now)

    def roll_day(self, now: float) -> None:
        """Start today's figures afresh after local midnight."""
        if now < self.day_ends_at:
            return
        if self.day_ends_at:
            self.offered = self.answered = self.answered_in_sla = self.abandoned = 0
            self.total_answer_seconds = 0.0
        hours = self.config.business_hours or _UTC_DAY
        self.day_ends_at = hours.day_end(now)

    @classmethod
    def from_config(cls, config: QueueConfigured) -> Queue:
        steps = [(s.after_seconds, s.to_queue) for s in config.escalation]
        if config.max_wait_seconds and config.overflow_queue:
            steps.append((config.max_wait_seconds, config.overflow_queue))
        return cls(
            config=config, requirement=parse_requirement(config.requires), steps=sorted(steps)
        )


@dataclass(slots=True)
class Change:
    """A task reached a state; becomes a routing event (not frozen: it is made often)."""

    task_id: str
    interaction_id: str
    conversation_key: str
    channel: Channel
    state: TaskState
    queue: str
    priority: int
    at: float
    step: int
    agent_id: str | None = None
    queue_position: int | None = None
    wait_seconds: float | None = None
    note: str | None = None
