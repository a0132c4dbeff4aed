"""Look at the broker from outside: read a whole topic, measure a consumer group's lag.

For tools and tests (the resilience run, end-to-end checks), never for services.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from cc_common.events import Envelope, decode_event
from cc_common.settings import KafkaSettings


async def read_events(settings: KafkaSettings, topic: str) -> list[Envelope[Any]]:
    """Every decodable event currently in ``topic`` (all partitions, in offset order)."""
    return [decode_event(value) for value, _ in await read_records(settings, topic)]


async def read_records(
    settings: KafkaSettings, topic: str
) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Every raw record (value, headers) in ``topic``: for dead-letter topics."""
    return [(r.value, list(r.headers)) for r in await read_topic(settings, topic)]


async def read_topic(settings: KafkaSettings, topic: str) -> list[ConsumerRecord[Any, Any]]:
    """Every record now in ``topic`` (logical name; the settings' suffix is added), each
    partition in offset order, without joining a consumer group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        tps = await _partitions(consumer, [topic + settings.topic_suffix])
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[ConsumerRecord[Any, Any]] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, items in batch.items():
                records.extend(items)
                if items and items[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
            if not batch:
                remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


class LagProbe:
    """How many messages a consumer group has yet to commit, summed over its topics.

    Reads the group's committed offsets and the partitions' ends; a partition the
    group never committed on counts from its start (the group would read it all).
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._ends = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False
        )
        self._groups: dict[str, AIOKafkaConsumer] = {}
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def start(self) -> None:
        await self._ends.start()

    async def stop(self) -> None:
        for consumer in (self._ends, *self._groups.values()):
            await consumer.stop()

    async def lag(self, group: str, topics: Iterable[str]) -> int:
        """Messages in ``topics`` beyond what ``group`` has committed."""
        partitions = [tp for topic in topics for tp in await self._partitions_of(topic)]
        reader = await self._group_reader(group)
        ends = await self._ends.end_offsets(partitions)
        behind = 0
        for tp in partitions:
            done = await reader.committed(tp) or 0
            behind += max(0, ends[tp] - done)
        return behind

    async def _partitions_of(self, topic: str) -> list[TopicPartition]:
        if topic not in self._partitions:
            physical = topic + self._settings.topic_suffix
            self._partitions[topic] = await _partitions(self._ends, [physical])
        return self._partitions[topic]

    async def _group_reader(self, group: str) -> AIOKafkaConsumer:
        """A consumer in ``group`` that never subscribes, so it never joins or takes
        partitions: it only fetches the group's committed offsets (OffsetFetch; the
        admin client's variant is not understood by every Kafka-protocol broker)."""
        if group not in self._groups:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self._settings.bootstrap_servers,
                group_id=group,
                enable_auto_commit=False,
            )
            await reader.start()
            self._groups[group] = reader
        return self._groups[group]


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
