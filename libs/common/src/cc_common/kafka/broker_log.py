"""Where the broker's logs stand: which cluster this is and where a partition ends.

A consumer that keeps its own applied offsets (the router saves them with its state)
must notice when the log behind those offsets was replaced: an in-memory broker
restarted, a topic recreated, a cluster rebuilt or restored. The two facts that tell
are the cluster's identity and a partition's end offset below the saved position.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from cc_common.settings import KafkaSettings


class BrokerLog:
    """Asks the broker, on demand, for its cluster id and a partition's end offset."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._consumer: AIOKafkaConsumer | None = None

    async def cluster_id(self) -> str | None:
        """The cluster's id as the broker reports it now (None if it reports none)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=f"{self._settings.client_id}-log-probe",
        )
        await admin.start()
        try:
            described = await admin.describe_cluster()
        finally:
            await admin.close()
        cluster = described.get("cluster_id")
        return str(cluster) if cluster else None

    async def end_offset(self, topic: str, partition: int) -> int:
        """The offset the next message of a (logical) topic's partition will get."""
        consumer = await self._probe()
        physical = TopicPartition(topic + self._settings.topic_suffix, partition)
        ends = await consumer.end_offsets([physical])
        return int(ends[physical])

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _probe(self) -> AIOKafkaConsumer:
        # A consumer outside any group: it reads metadata and offsets, never commits.
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._settings.bootstrap_servers,
                client_id=f"{self._settings.client_id}-log-probe",
                enable_auto_commit=False,
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer
