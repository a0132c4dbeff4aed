"""Pure helpers of the consumer runner: grouping a batch by key, backoff, offsets,
fetch pacing."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def group_in_order(items: Iterable[T], key: Callable[[T], K]) -> list[list[T]]:
    """Split items into groups by key, keeping each group's original order.

    Groups are handled concurrently and each group sequentially, which gives per-key
    ordering with concurrency across keys.
    """
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff for the ``attempt``-th retry (1-based), capped."""
    return float(min(cap, base * 2 ** (attempt - 1)))


def next_offsets(positions: Iterable[tuple[T, int]]) -> dict[T, int]:
    """The offsets to commit: one past the highest offset handled per partition."""
    commits: dict[T, int] = {}
    for partition, offset in positions:
        commits[partition] = max(commits.get(partition, 0), offset + 1)
    return commits


def next_fetch_wait(current_ms: int, *, got_records: bool, busy_ms: int, idle_ms: int) -> int:
    """The broker-side wait of the next fetch: short while events flow, doubling up to
    ``idle_ms`` while none do (an idle consumer then asks the broker a few times a
    second instead of a hundred)."""
    if got_records:
        return busy_ms
    return max(busy_ms, min(max(idle_ms, busy_ms), current_ms * 2))
