"""The router's state as plain data, and back (pure): what survives a restart."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import asdict
from typing import Any

from cc_common.events import (
    AgentConfigured,
    Channel,
    ChannelClass,
    Presence,
    QueueConfigured,
    TaskState,
)
from router_service.domain.defaults import RouterPolicy
from router_service.domain.engine import TenantRouter
from router_service.domain.model import WAITING, Agent, Queue, Task, attributes_of

FORMAT = 1


def dump(router: TenantRouter) -> dict[str, Any]:
    """Everything needed to resume: configuration, agents, open tasks, timers, counters."""
    return {
        "format": FORMAT,
        "tenant_id": router.tenant_id,
        "seq": router._seq,
        "policy": asdict(router.policy),
        "decisions": router.decisions,
        "queues": [
            {
                "config": q.config.model_dump(mode="json"),
                "counters": [q.offered, q.answered, q.answered_in_sla, q.abandoned],
                "answer_seconds": q.total_answer_seconds,
                "day_ends_at": q.day_ends_at,
            }
            for q in router.queues.values()
        ],
        "agents": [
            {
                "profile": a.profile.model_dump(mode="json"),
                "presence": a.presence.value,
                "reason": a.reason,
                "held": {k.value: v for k, v in a.held.items() if v},
                "tasks": sorted(a.tasks),
                "idle_since": a.idle_since,
                "presence_since": a.presence_since,
            }
            for a in router.agents.values()
        ],
        "tasks": [
            {
                "id": t.id,
                "interaction_id": t.interaction_id,
                "conversation_key": t.conversation_key,
                "customer_ref": t.customer_ref,
                "channel": t.channel.value,
                "queue": t.queue,
                "priority": t.priority,
                "created_at": t.created_at,
                "enqueued_at": t.enqueued_at,
                "state": t.state.value,
                "agent_id": t.agent_id,
                "version": t.version,
                "tried_agents": sorted(t.tried_agents),
                "reserved_for": t.reserved_for,
                "queue_epoch": t.queue_epoch,
                "history": t.history,
            }
            for t in router.tasks.values()
        ],
        "last_agent": router.last_agent,
        "closed": sorted(router._closed),
        "timers": router.timers,
    }


def load(data: dict[str, Any], policy: RouterPolicy | None = None) -> TenantRouter:
    """Rebuild a router from ``dump``'s output; heaps are rebuilt from the tasks."""
    stored = data.get("policy")
    router = TenantRouter(data["tenant_id"], RouterPolicy(**stored) if stored else policy)
    router.queues = {}
    for q in data["queues"]:
        queue = Queue.from_config(QueueConfigured.model_validate(q["config"]))
        queue.offered, queue.answered, queue.answered_in_sla, queue.abandoned = q["counters"]
        queue.total_answer_seconds = q["answer_seconds"]
        queue.day_ends_at = q.get("day_ends_at", 0.0)
        router.queues[queue.config.name] = queue
    for a in data["agents"]:
        profile = AgentConfigured.model_validate(a["profile"])
        router.agents[profile.agent_id] = Agent(
            profile=profile,
            attributes=attributes_of(profile),
            presence=Presence(a["presence"]),
            reason=a["reason"],
            held=Counter({ChannelClass(k): v for k, v in a["held"].items()}),
            tasks=set(a["tasks"]),
            idle_since=a["idle_since"],
            presence_since=a.get("presence_since", 0.0),  # absent before 2026-12-07
        )
    for queue in router.queues.values():
        for agent in router.agents.values():
            router._update_eligibility(agent, queue)
    for t in data["tasks"]:
        task = Task(
            id=t["id"],
            interaction_id=t["interaction_id"],
            conversation_key=t["conversation_key"],
            customer_ref=t["customer_ref"],
            channel=Channel(t["channel"]),
            queue=t["queue"],
            priority=t["priority"],
            created_at=t["created_at"],
            enqueued_at=t["enqueued_at"],
            state=TaskState(t["state"]),
            agent_id=t["agent_id"],
            version=t["version"],
            tried_agents=set(t["tried_agents"]),
            reserved_for=t["reserved_for"],
            queue_epoch=t["queue_epoch"],
            history=[(at, what) for at, what in t["history"]],
        )
        router.tasks[task.id] = task
        router.by_conversation[task.conversation_key] = task.id
    router._seq = data["seq"]
    router.decisions = data["decisions"]
    router.last_agent = {k: (v[0], v[1]) for k, v in data["last_agent"].items()}
    router._closed = set(data.get("closed", ()))
    router.timers = [(t[0], t[1], t[2], t[3], t[4]) for t in data["timers"]]
    heapq.heapify(router.timers)
    for task in sorted(router.tasks.values(), key=lambda t: (t.enqueued_at, t.id)):
        if task.state is WAITING:
            if task.reserved_for:
                router.reserved.setdefault(task.reserved_for, []).append(task.id)
            else:
                router._push_task(task)
    for agent in router.agents.values():
        router._agent_changed(agent)
    return router
