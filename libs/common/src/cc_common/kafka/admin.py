"""Topic administration: create every registered topic and its dead-letter twin."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from cc_common.logging import get_logger
from cc_common.settings import KafkaSettings
from cc_common.topics import ALL_TOPICS, Topic

log = get_logger(__name__)


def topic_configs(topic: Topic, *, min_insync_replicas: int | None) -> dict[str, str]:
    """Broker-side settings of a topic (and of its dead-letter twin)."""
    configs = {"retention.ms": str(topic.retention_ms)}
    if min_insync_replicas:
        configs["min.insync.replicas"] = str(min_insync_replicas)
    return configs


async def ensure_topics(
    settings: KafkaSettings,
    *,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
) -> list[str]:
    """Create missing topics; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = []
        for topic in ALL_TOPICS:
            for name, partitions in ((topic.name, topic.partitions), (topic.dlq, 1)):
                physical = name + settings.topic_suffix
                if physical not in existing:
                    wanted.append(
                        NewTopic(
                            physical,
                            num_partitions=partitions,
                            replication_factor=replication_factor,
                            topic_configs=topic_configs(
                                topic, min_insync_replicas=min_insync_replicas
                            ),
                        )
                    )
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                log.info("kafka.topics_raced")
        created = [t.name for t in wanted]
        log.info("kafka.topics_ready", created=created)
        return created
    finally:
        await admin.close()
