"""End-to-end routing latency: an interaction on Kafka to its ``task.offered`` event,
measured beside the broker's own produce-to-consume round trip in the same run.

Starts a private broker, database and router; agents with ample capacity are
configured; interactions are produced at a fixed rate (open loop); the time from
producing each to consuming its offer is recorded.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer

from cc_common.events import (
    AGENT_CONFIGURED,
    AGENT_PRESENCE_CHANGED,
    INTERACTION_RECEIVED,
    AgentConfigured,
    AgentPresenceChanged,
    Channel,
    ChannelClass,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    Party,
    PartyRole,
    Presence,
    RoutingChange,
    TaskState,
    decode_event,
)
from cc_common.kafka.producer import EventProducer
from cc_common.settings import KafkaSettings
from cc_common.topics import AGENTS, INTERACTIONS, ROUTING
from contactcenter_cli.stack import Stack, private_stack

TENANT = "bench"


def _envelope(kind: str, data: Any) -> Envelope[Any]:
    return Envelope[Any](
        id=uuid.uuid4(),
        type=kind,
        tenant_id=TENANT,
        occurred_at=datetime.now(UTC),
        source="bench",
        data=data,
    )


def _interaction(n: int) -> Envelope[Any]:
    return _envelope(
        INTERACTION_RECEIVED,
        Interaction(
            channel=Channel.WEBCHAT,
            direction=Direction.INBOUND,
            provider="bench",
            conversation_key=f"bench:{n}:{uuid.uuid4()}",
            parties=(
                Party(
                    role=PartyRole.CUSTOMER,
                    identities=(Identity(kind=IdentityKind.CRM_ID, value=f"c{n}"),),
                ),
            ),
            content=Content(text="hello"),
        ),
    )


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def _subscribe(settings: KafkaSettings, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        topic + settings.topic_suffix,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=200)
    return consumer


async def broker_round_trip(
    settings: KafkaSettings, producer: EventProducer, count: int
) -> dict[str, float]:
    """Produce (acks=all) then consume, one message at a time: the broker's own latency."""
    consumer = await _subscribe(settings, AGENTS.dlq)
    samples = []
    try:
        for _ in range(count):
            sent = time.perf_counter()
            await producer.send_raw_many(AGENTS.dlq, [(b"bench", b"ping", [])])
            while not await consumer.getmany(timeout_ms=1000):
                pass
            samples.append(time.perf_counter() - sent)
    finally:
        await consumer.stop()
    return _percentiles(samples)


async def routing_latency(
    settings: KafkaSettings, producer: EventProducer, *, rate: float, seconds: float
) -> dict[str, float]:
    """Interactions at ``rate`` per second; time until each one's offer is consumed."""
    consumer = await _subscribe(settings, ROUTING.name)
    sent_at: dict[str, float] = {}
    samples: list[float] = []
    total = int(rate * seconds)

    async def collect() -> None:
        while len(samples) < total:
            batch = await consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    event = decode_event(record.value)
                    data = event.data
                    if isinstance(data, RoutingChange) and data.state is TaskState.OFFERED:
                        started = sent_at.pop(str(data.interaction_id), None)
                        if started is not None:
                            samples.append(now - started)

    collector = asyncio.create_task(collect())
    began = time.perf_counter()
    for n in range(total):
        due = began + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        event = _interaction(n)
        sent_at[str(event.id)] = time.perf_counter()
        asyncio.get_running_loop().create_task(producer.publish(INTERACTIONS.name, event))
    await asyncio.wait_for(collector, timeout=seconds + 60)
    await consumer.stop()
    result = _percentiles(samples)
    result["offered_rate_per_s"] = rate
    return result


async def _run(stack: Stack, *, rate: float, seconds: float, agents: int) -> dict[str, Any]:
    settings = stack.config.kafka_settings()
    producer = EventProducer(settings)
    await producer.start()
    try:
        setup = []
        for a in range(agents):
            setup.append(
                _envelope(
                    AGENT_CONFIGURED,
                    AgentConfigured(
                        agent_id=f"a{a}", capacity={ChannelClass.CHAT: 10}, max_total=10
                    ),
                )
            )
            setup.append(
                _envelope(
                    AGENT_PRESENCE_CHANGED,
                    AgentPresenceChanged(agent_id=f"a{a}", presence=Presence.AVAILABLE),
                )
            )
        await producer.publish_many(AGENTS.name, setup)
        await asyncio.sleep(2)
        broker = await broker_round_trip(settings, producer, 300)
        routing = await routing_latency(settings, producer, rate=rate, seconds=seconds)
    finally:
        await producer.stop()
    return {"broker_round_trip": broker, "interaction_to_offer": routing}


def run(*, rate: float = 100, seconds: float = 10, agents: int = 200) -> dict[str, Any]:
    """Start a private broker, database and router; measure; stop everything."""
    with private_stack("router") as stack:
        return asyncio.run(_run(stack, rate=rate, seconds=seconds, agents=agents))


def format_result(result: dict[str, Any]) -> str:
    """A small table of both measurements and their ratio."""
    broker, routing = result["broker_round_trip"], result["interaction_to_offer"]
    return "\n".join(
        [
            "                        p50 ms   p99 ms   max ms   count",
            f"broker round trip     {broker['p50_ms']:>8} {broker['p99_ms']:>8} "
            f"{broker['max_ms']:>8} {broker['count']:>7}",
            f"interaction -> offer  {routing['p50_ms']:>8} {routing['p99_ms']:>8} "
            f"{routing['max_ms']:>8} {routing['count']:>7}",
            f"(interactions offered at {routing['offered_rate_per_s']}/s; routing p50 is "
            f"{routing['p50_ms'] / max(broker['p50_ms'], 0.01):.1f}x the broker round trip)",
        ]
    )
