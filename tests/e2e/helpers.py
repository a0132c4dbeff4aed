"""Polling helpers for end-to-end tests: the system is eventually consistent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from contactcenter_cli.case_client import find_customer, full_timeline

__all__ = ["eventually", "find_customer", "full_timeline", "visitor_key"]

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0, what: str = "condition"
) -> T:
    """Call ``probe`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


def visitor_key(conversation: Mapping[str, Any]) -> str:
    """The identity that finds a web-chat visitor's customer (a typed email does not)."""
    return f"webchat_visitor_id:{conversation['visitor_id']}"
