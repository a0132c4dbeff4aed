"""Topic and index definitions as code, rendered for operators into deploy/.

``deploy/kafka/topics.json`` is rendered from the topic registry and
``deploy/mongo/indexes.json`` from the index specifications each service declares;
a test fails when either is stale (``contactcenter deploy-defs`` rewrites them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cc_common.mongo import IndexSpec
from cc_common.topics import ALL_TOPICS

PRODUCTION_REPLICATION = 3
PRODUCTION_MIN_INSYNC = 2


def topic_definitions() -> list[dict[str, Any]]:
    """Every topic and dead-letter twin with its production settings."""
    rows = []
    for topic in ALL_TOPICS:
        for name, partitions in ((topic.name, topic.partitions), (topic.dlq, 1)):
            rows.append(
                {
                    "name": name,
                    "key": topic.key,
                    "partitions": partitions,
                    "replication_factor": PRODUCTION_REPLICATION,
                    "config": {
                        "min.insync.replicas": str(PRODUCTION_MIN_INSYNC),
                        "retention.ms": str(topic.retention_ms),
                    },
                    "description": topic.description,
                }
            )
    return rows


def index_definitions(specs_by_database: dict[str, Iterable[IndexSpec]]) -> dict[str, Any]:
    """Every index per database and collection, in createIndexes form."""
    out: dict[str, Any] = {}
    for database, specs in sorted(specs_by_database.items()):
        collections: dict[str, list[dict[str, Any]]] = {}
        for spec in specs:
            collections.setdefault(spec.collection, []).append(
                {
                    "name": spec.name,
                    "key": dict(spec.keys),
                    "unique": spec.unique,
                    **dict(spec.options),
                }
            )
        out[database] = collections
    return out


def render(data: Any) -> str:
    """The committed form: indented, stable key order, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
