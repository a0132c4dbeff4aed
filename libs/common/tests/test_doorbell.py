"""The doorbell wakes a resting poller at once and keeps a ring that came while it
was busy."""

from __future__ import annotations

import asyncio
import time

import pytest

from cc_common.supervision import Doorbell

pytestmark = pytest.mark.asyncio


async def test_a_ring_ends_the_rest_at_once() -> None:
    bell = Doorbell()
    started = time.perf_counter()
    asyncio.get_running_loop().call_later(0.05, bell.ring)
    assert await bell.wait(5.0) is True
    assert time.perf_counter() - started < 1.0


async def test_unrung_it_rests_the_whole_time() -> None:
    started = time.perf_counter()
    assert await Doorbell().wait(0.1) is False
    assert time.perf_counter() - started >= 0.09


async def test_a_ring_while_busy_is_kept_once() -> None:
    bell = Doorbell()
    bell.ring()  # work added while the poller was busy elsewhere
    assert await bell.wait(5.0) is True
    assert await bell.wait(0.05) is False  # answered: not rung again
