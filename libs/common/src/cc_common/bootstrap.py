"""One-shot setup job: create every topic (``python -m cc_common.bootstrap``).

Used by docker compose and Kubernetes before the services start; services create
their own MongoDB indexes at startup.
"""

from __future__ import annotations

import asyncio
import os

from cc_common.kafka.admin import ensure_topics
from cc_common.logging import configure_logging
from cc_common.settings import KafkaSettings


def main() -> None:
    """Create missing topics with the replication factor from the environment."""
    configure_logging(service="bootstrap")
    replication = int(os.environ.get("CC_KAFKA_REPLICATION_FACTOR", "1"))
    min_insync = int(os.environ.get("CC_KAFKA_MIN_INSYNC_REPLICAS", "0")) or None
    asyncio.run(
        ensure_topics(
            KafkaSettings(), replication_factor=replication, min_insync_replicas=min_insync
        )
    )


if __name__ == "__main__":
    main()
