"""Background tasks of a service, watched: a task that dies makes the service unhealthy."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from cc_common.logging import get_logger

log = get_logger(__name__)


class TaskGroup:
    """Starts named long-running tasks and reports whether they are all still alive."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in the background; its unexpected end is logged."""
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._on_done)
        self._tasks[name] = task

    def _on_done(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task.crashed", task=task.get_name(), error=repr(exc), exc_info=exc)

    def dead(self) -> list[str]:
        """Names of tasks that ended (a long-running task should never end by itself)."""
        return [name for name, task in self._tasks.items() if task.done()]

    async def wait(self, grace_seconds: float) -> None:
        """Wait for every task to finish (after they were asked to stop); cancel stragglers."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
