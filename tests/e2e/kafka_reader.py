"""Read a whole topic from the start (tests inspect what services published)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from cc_common.events import Envelope, decode_event
from cc_common.settings import KafkaSettings


async def read_events(settings: KafkaSettings, topic: str) -> list[Envelope[Any]]:
    """Every decodable event currently in ``topic`` (all partitions, in offset order)."""
    return [decode_event(value) for value, _ in await read_records(settings, topic)]


async def read_records(
    settings: KafkaSettings, topic: str
) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Every raw record (value, headers) in ``topic``: for dead-letter topics."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        physical = topic + settings.topic_suffix
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(physical) or set()
        tps = [TopicPartition(physical, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[tuple[bytes, list[tuple[str, bytes]]]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for items in batch.values():
                records.extend((r.value, list(r.headers)) for r in items)
        return records
    finally:
        await consumer.stop()
