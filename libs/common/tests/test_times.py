"""Providers' stated times: seconds or milliseconds, and when they are believed (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cc_common.events import epoch_time, plausible_time

RECEIVED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [1764666000, "1764666000", 1764666000000, "1764666000000", 1764666000.0],
)
def test_seconds_and_milliseconds_read_alike(value: object) -> None:
    assert epoch_time(value) == datetime(2025, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "soon", 0, -5, True, float("nan"), "1e400"])
def test_no_time_is_none(value: object) -> None:
    assert epoch_time(value) is None


def test_a_believable_stated_time_orders_the_timeline() -> None:
    stated = RECEIVED - timedelta(hours=3)
    assert plausible_time(stated, RECEIVED) == stated
    assert plausible_time(RECEIVED + timedelta(minutes=4), RECEIVED) > RECEIVED


@pytest.mark.parametrize(
    "stated",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        RECEIVED + timedelta(days=300),
        RECEIVED - timedelta(days=8),
    ],
)
def test_an_implausible_stated_time_gives_way_to_the_receipt_time(stated: datetime) -> None:
    assert plausible_time(stated, RECEIVED) == RECEIVED
    assert plausible_time(None, RECEIVED) == RECEIVED
