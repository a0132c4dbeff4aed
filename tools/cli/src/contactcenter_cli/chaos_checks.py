"""What a resilience run concludes (pure): events accepted against events found, tasks
per conversation, agents' load replayed from the routing stream, recovery per kill."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cc_common.events import Channel, ChannelClass, RoutingChange, TaskState

HOLDING = frozenset({TaskState.OFFERED, TaskState.ACCEPTED})
"""States in which a task counts against its agent's capacity."""


@dataclass(frozen=True, slots=True)
class Tally:
    """One channel's accounting: every accepted event must be found exactly once."""

    channel: str
    accepted: int
    found: int
    duplicates: int
    lost: int
    unconfirmed: int
    """Stored although the sender never saw a 2xx (it gave up retrying): allowed."""


def tally(accepted: Mapping[str, str], seen: Iterable[str]) -> list[Tally]:
    """``accepted`` maps each event's token to its channel; ``seen`` has one token per
    timeline entry found (a token seen twice is a duplicate)."""
    counts = Counter(seen)
    channels = sorted(set(accepted.values()))
    rows = []
    for channel in channels:
        tokens = [t for t, c in accepted.items() if c == channel]
        rows.append(Tally(channel, *_accounted(tokens, counts), unconfirmed=0))
    strangers = [t for t in counts if t not in accepted]
    if strangers:
        rows.append(Tally("unconfirmed", 0, len(strangers), 0, 0, len(strangers)))
    return rows


ENDED = frozenset({TaskState.COMPLETED, TaskState.ABANDONED})
"""States after which a conversation's next message makes a new task."""


def task_problems(
    changes: Iterable[RoutingChange], conversations: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Conversations that got no task (lost), and those that had two open at once
    (doubled). Agents complete work during the run, so a conversation may have a
    second task, but only after its first ended."""
    tasks: defaultdict[str, set[str]] = defaultdict(set)
    open_tasks: defaultdict[str, set[str]] = defaultdict(set)
    doubled: set[str] = set()
    for change in changes:
        conversation, task = change.conversation_key, str(change.task_id)
        tasks[conversation].add(task)
        if change.state in ENDED:
            open_tasks[conversation].discard(task)
            continue
        open_tasks[conversation].add(task)
        if len(open_tasks[conversation]) > 1:
            doubled.add(conversation)
    lost = sorted(c for c in set(conversations) if not tasks[c])
    return lost, sorted(doubled)


@dataclass(frozen=True, slots=True)
class Capacity:
    per_class: Mapping[ChannelClass, int]
    total: int


def _class_of(channel: Channel) -> ChannelClass:
    if channel is Channel.VOICE:
        return ChannelClass.VOICE
    if channel is Channel.EMAIL:
        return ChannelClass.EMAIL
    return ChannelClass.CHAT


def overbooked(changes: Sequence[RoutingChange], capacity: Mapping[str, Capacity]) -> list[str]:
    """Every moment the routing stream shows an agent holding more than its capacity.

    Replays the changes in order: a task is held by the agent it was last offered to or
    accepted by, until any other state releases it. A voice task is exclusive."""
    holder: dict[str, tuple[str, ChannelClass]] = {}
    violations = []
    for change in changes:
        task = str(change.task_id)
        if change.state in HOLDING and change.agent_id:
            holder[task] = (change.agent_id, _class_of(change.channel))
            agent = change.agent_id
            held = Counter(k for a, k in holder.values() if a == agent)
            limit = capacity.get(agent)
            if limit is None:
                continue
            total = sum(held.values())
            over = [k for k, n in held.items() if n > limit.per_class.get(k, 0)]
            exclusive = held[ChannelClass.VOICE] and total > 1
            if over or total > limit.total or exclusive:
                violations.append(
                    f"{agent} held {dict(held)} when offered task {task} ({change.channel})"
                )
        else:
            holder.pop(task, None)
    return violations


@dataclass(frozen=True, slots=True)
class LagSample:
    at: float
    lag: Mapping[str, int]
    """Messages behind, per consumer group."""


def recovery_seconds(
    samples: Sequence[LagSample], killed_at: float, ready_at: float, *, slack: int
) -> float | None:
    """From the kill until the first sample, once the service is ready again, where every
    group is no further behind than it was in the five seconds before the kill (plus
    ``slack`` messages). None when that never happened."""
    before = [s for s in samples if killed_at - 5 <= s.at < killed_at]
    groups = {g for s in samples for g in s.lag}
    baseline = {g: max((s.lag.get(g, 0) for s in before), default=0) for g in groups}
    for sample in samples:
        if sample.at < ready_at:
            continue
        if all(sample.lag.get(g, 0) <= baseline[g] + slack for g in groups):
            return sample.at - killed_at
    return None


@dataclass(frozen=True, slots=True)
class ReplyTally:
    """One channel's agents' replies: each must be sent once and settle (none stuck)."""

    channel: str
    made: int
    sent: int
    failed: int
    stuck: int
    """Still pending on the timeline after the run settled."""
    doubled: int
    """Reached the customer more than once."""
    missing: int
    """Marked sent but never reached the customer."""


def reply_tally(
    made: Mapping[str, str], status: Mapping[str, str], deliveries: Mapping[str, int]
) -> list[ReplyTally]:
    """``made``: reply id -> channel; ``status``: reply id -> its status on the
    timeline; ``deliveries``: reply id -> copies the customer received."""
    rows = []
    for channel in sorted(set(made.values())):
        ids = [r for r, c in made.items() if c == channel]
        settled = [r for r in ids if status.get(r) in SENT]
        rows.append(
            ReplyTally(
                channel=channel,
                made=len(ids),
                sent=len(settled),
                failed=sum(status.get(r) == "failed" for r in ids),
                stuck=sum(status.get(r, "pending") == "pending" for r in ids),
                doubled=sum(deliveries.get(r, 0) > 1 for r in ids),
                missing=sum(deliveries.get(r, 0) == 0 for r in settled),
            )
        )
    return rows


SENT = frozenset({"sent", "delivered", "read"})


@dataclass(frozen=True, slots=True)
class FaultTally:
    """The events first sent while one fault was in effect (from its start until the
    next fault's), every channel together."""

    fault: str
    accepted: int
    found: int
    duplicates: int
    lost: int


def fault_tally(
    windows: Sequence[tuple[str, float, float]],
    started: Mapping[str, float],
    accepted: Mapping[str, str],
    seen: Iterable[str],
) -> list[FaultTally]:
    """``windows``: (fault, from, until); ``started``: token -> first attempt."""
    counts = Counter(seen)
    rows = []
    for fault, begin, end in windows:
        tokens = [t for t in accepted if begin <= started.get(t, -1.0) < end]
        rows.append(FaultTally(fault, *_accounted(tokens, counts)))
    return rows


def _accounted(tokens: Sequence[str], counts: Counter[str]) -> tuple[int, int, int, int]:
    """Accepted, found, duplicates and lost among ``tokens`` (``counts``: times seen)."""
    found = [t for t in tokens if counts[t]]
    duplicates = sum(counts[t] - 1 for t in found)
    return len(tokens), len(found), duplicates, len(tokens) - len(found)
