"""Which saved Kafka positions still describe the broker's log, and which do not.

The router saves, with each tenant's state, the offset after the last event it
applied on every topic partition and the id of the cluster they came from. When the
log behind a saved position has been replaced (an in-memory broker restarted, a topic
recreated, a cluster rebuilt or restored from backup), the offsets start again below
the saved one and every new event would be skipped as already applied. Such a
position is forgotten instead: the tenant's configuration and open work stay, and
routing resumes from what the broker really holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CLUSTER_CHANGED = "cluster_changed"
LOG_END_BELOW_SAVED = "log_end_below_saved_offset"


@dataclass(frozen=True, slots=True)
class ReplacedLog:
    position: str
    """``topic:partition``."""
    saved_offset: int
    reason: str


def position_of(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def replaced_logs(
    saved_offsets: Mapping[str, int],
    *,
    saved_cluster: str | None,
    cluster: str | None,
    log_ends: Mapping[str, int],
) -> list[ReplacedLog]:
    """The saved positions that no longer describe the broker's log.

    A different cluster replaces every position; otherwise a partition whose end is
    below the saved offset was recreated. (A recreated log that has already grown past
    the saved offset on the same cluster cannot be told from this alone.)
    """
    if saved_cluster and cluster and saved_cluster != cluster:
        return [
            ReplacedLog(position, offset, CLUSTER_CHANGED)
            for position, offset in sorted(saved_offsets.items())
        ]
    return [
        ReplacedLog(position, saved_offsets[position], LOG_END_BELOW_SAVED)
        for position, end in sorted(log_ends.items())
        if end < saved_offsets.get(position, 0)
    ]
