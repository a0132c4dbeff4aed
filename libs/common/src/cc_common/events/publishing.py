"""How code that emits events names the broker without depending on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from cc_common.events.envelope import Envelope

Publish = Callable[[str, Envelope[Any]], Awaitable[None]]
"""Publish an event on a topic; returns once the broker acknowledged it."""


class Publisher(Protocol):
    """Anything with ``publish`` (the service's EventProducer; a list in a test)."""

    async def publish(self, topic: str, event: Envelope[Any]) -> None: ...
