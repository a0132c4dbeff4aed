"""Benchmark of the router's pure matching core: ``contactcenter bench-router-core``.

A tenant with 1,000 agents, 50 queues and 10,000 waiting tasks. Each step, a new
task arrives (it waits: every agent is busy) and an agent finishes a task; the
router then chooses that agent's next task among the queues it serves. One step is
one decision. ``decisions_per_second`` counts the engine's time for the completion
and the decision it triggers (the p50/p99 latency is of the same call);
``with_arrivals_per_second`` adds the arrivals' time; ``with_harness_per_second``
adds the benchmark's own bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from cc_common.events import (
    AgentConfigured,
    Channel,
    ChannelClass,
    Presence,
    QueueConfigured,
    TaskAction,
    TaskState,
)
from router_service.domain.engine import TenantRouter

T0 = 1_800_000_000.0
CHANNELS = (Channel.WEBCHAT, Channel.LINE, Channel.EMAIL, Channel.WHATSAPP)


def build(agents: int, queues: int, waiting: int, seed: int) -> tuple[TenantRouter, random.Random]:
    """A busy tenant: every agent at capacity, ``waiting`` tasks in the queues."""
    rng = random.Random(seed)
    router = TenantRouter("bench")
    now = T0
    for q in range(queues):
        router.configure_queue(
            QueueConfigured(
                name=f"q{q}",
                requires=f"skill{q}>=2",
                keywords=(f"topic{q}",),
                sla_seconds=60,
                offer_timeout_seconds=None,
                priority=rng.randint(0, 3),
            ),
            now,
        )
    for a in range(agents):
        skills = {f"skill{s}": rng.randint(2, 5) for s in rng.sample(range(queues), 5)}
        router.configure_agent(
            AgentConfigured(
                agent_id=f"a{a}",
                skills=skills,
                capacity={ChannelClass.CHAT: 3, ChannelClass.EMAIL: 2, ChannelClass.VOICE: 1},
                max_total=3,
            ),
            now,
        )
        router.set_presence(f"a{a}", Presence.AVAILABLE, None, now)
    for _ in range(waiting + agents * 3):
        add_task(router, rng, now)
        now += 0.001
    router.drain()
    return router, rng


_counter = iter(range(10**9))


def add_task(router: TenantRouter, rng: random.Random, now: float) -> None:
    n = next(_counter)
    router.enqueue(
        task_id=f"t{n}",
        interaction_id=f"i{n}",
        conversation_key=f"c{n}",
        customer_ref=None,
        channel=rng.choice(CHANNELS),
        text=f"about topic{rng.randrange(len(router.queues) - 3)}",
        skills=(),
        priority=rng.randint(0, 5),
        now=now,
    )


def run(agents: int, queues: int, waiting: int, decisions: int, seed: int) -> dict[str, float]:
    """Measure ``decisions`` complete-then-next-offer steps; returns rates and latencies."""
    router, rng = build(agents, queues, waiting, seed)
    held = [t for t in router.tasks.values() if t.state is TaskState.ACCEPTED]
    latencies = []
    now = T0 + 3600
    made_before = router.decisions
    started = time.perf_counter()
    in_engine = 0.0
    for _ in range(decisions):
        task = held.pop(rng.randrange(len(held)))
        agent_id = task.agent_id
        assert agent_id is not None
        begin = time.perf_counter()
        add_task(router, rng, now)
        arrived = time.perf_counter()
        router.act(agent_id, task.id, TaskAction.COMPLETE, now)
        done = time.perf_counter()
        latencies.append(done - arrived)
        in_engine += done - begin
        for change in router.drain():
            if change.state is TaskState.ACCEPTED:
                held.append(router.tasks[change.task_id])
        now += 0.01
    elapsed = time.perf_counter() - started
    made = router.decisions - made_before
    latencies.sort()
    waiting_now = sum(1 for t in router.tasks.values() if t.state is TaskState.QUEUED)
    return {
        "agents": agents,
        "queues": queues,
        "waiting_tasks": waiting_now,
        "decisions": made,
        "decisions_per_second": round(made / sum(latencies)),
        "with_arrivals_per_second": round(made / in_engine),
        "with_harness_per_second": round(made / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 4),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 4),
        "max_ms": round(latencies[-1] * 1000, 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="contactcenter bench-router-core", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    results = [
        run(args.agents, args.queues, args.waiting, args.decisions, args.seed + i)
        for i in range(args.runs)
    ]
    rates = sorted(r["decisions_per_second"] for r in results)
    p99s = sorted(r["p99_ms"] for r in results)
    summary = {
        "runs": results,
        "decisions_per_second": {
            "median": rates[len(rates) // 2],
            "min": rates[0],
            "max": rates[-1],
        },
        "p99_ms": {"median": p99s[len(p99s) // 2], "min": p99s[0], "max": p99s[-1]},
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
