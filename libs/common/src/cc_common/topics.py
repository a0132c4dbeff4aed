"""The topic registry: every topic, what its messages are keyed by, and its dead-letter twin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DLQ_SUFFIX: Final = ".dlq"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    description: str
    partitions: int = 6
    retention_ms: int = 7 * 24 * 3600 * 1000

    @property
    def dlq(self) -> str:
        """Name of the dead-letter topic for messages that could not be handled."""
        return self.name + DLQ_SUFFIX


INTERACTIONS: Final = Topic(
    "cc.interactions.v1",
    key="tenant_id",
    description="Normalised inbound and outbound interactions from every channel.",
)
ROUTING: Final = Topic(
    "cc.routing.v1",
    key="tenant_id",
    description="Task state changes published by the router.",
)
AGENTS: Final = Topic(
    "cc.agents.v1",
    key="tenant_id",
    description="Agent presence and task actions, published by the case API.",
)
OUTBOUND: Final = Topic(
    "cc.outbound.v1",
    key="tenant_id",
    description="Agent replies for the channel services to send.",
)

CASES: Final = Topic(
    "cc.cases.v1",
    key="tenant_id",
    description="What changes on cases (case.changed) and SLA breaches, from the case service.",
)

SIGNALS: Final = Topic(
    "cc.signals.v1",
    key="tenant_id",
    description="Ephemeral conversation signals (typing, a web-chat message stored) for"
    " every instance holding live connections; never stored on a timeline.",
    retention_ms=3600 * 1000,
)

ALL_TOPICS: Final[tuple[Topic, ...]] = (INTERACTIONS, ROUTING, AGENTS, OUTBOUND, CASES, SIGNALS)


def all_topic_names() -> list[str]:
    """Every topic and its dead-letter twin."""
    return [name for topic in ALL_TOPICS for name in (topic.name, topic.dlq)]


def topic_by_name(name: str) -> Topic:
    """Look a topic up by name (its own or its dead-letter twin's)."""
    base = name.removesuffix(DLQ_SUFFIX)
    for topic in ALL_TOPICS:
        if topic.name == base:
            return topic
    raise KeyError(name)
