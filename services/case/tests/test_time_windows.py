"""The time windows a newest-first page reads: contiguous, ending, never overflowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from case_service.adapters.time_windows import TimeWindows

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _walk(windows: TimeWindows, found: int, wanted: int) -> list[dict[str, datetime]]:
    ranges = []
    while (time_range := windows.next(found, wanted)) is not None:
        ranges.append(time_range)
        assert len(ranges) < 200, "the windows never reach the oldest time"
    return ranges


@pytest.mark.parametrize("found", [0, 1, 49])
@pytest.mark.parametrize("hint", [None, timedelta(milliseconds=1), timedelta(days=10**5)])
def test_windows_tile_the_past_without_gaps_and_end(found: int, hint: timedelta | None) -> None:
    ranges = _walk(TimeWindows(NOW, hint, NOW), found, 50)
    assert ranges[0]["$lte"] == NOW
    for newer, older in pairwise(ranges):
        assert older["$lte"] == newer["$gt"]  # (low, top] windows: each instant once
    assert "$gt" not in ranges[-1] or ranges[-1]["$gt"].year == 1  # everything older


def test_a_first_page_has_no_upper_bound_and_a_cursor_from_long_ago_reads_the_rest() -> None:
    first = TimeWindows(None, None, NOW).next(0, 50)
    assert first is not None
    assert "$lte" not in first
    old = datetime(1985, 1, 1, tzinfo=UTC)
    assert _walk(TimeWindows(old, None, NOW), 0, 50) == [{"$lte": old}]
