"""Background tasks of a service, watched: a task that dies makes the service unhealthy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from cc_common.errors import is_infrastructure_error
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


class Doorbell:
    """Wakes a poller the moment this process adds work for it, so the poller can wait
    long between looks for work added elsewhere (an idle stack stays quiet).

    A ring that comes while the poller is busy is kept for its next :meth:`wait`.
    """

    def __init__(self) -> None:
        self._rung = asyncio.Event()

    def ring(self) -> None:
        self._rung.set()

    async def wait(self, seconds: float) -> bool:
        """Until rung or ``seconds`` have passed; True when rung."""
        try:
            await asyncio.wait_for(self._rung.wait(), seconds)
            return True
        except TimeoutError:
            return False
        finally:
            self._rung.clear()


class Periodic:
    """A job done every ``interval_seconds`` until stopped (outbox relays, watchers,
    sweepers). A round that fails is logged (an outage quietly) and the next round
    tries again; :meth:`stop` ends the wait at once."""

    name = "periodic"

    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.round()
            except Exception as exc:
                if is_infrastructure_error(exc):
                    log.warning("periodic.round_failed", job=self.name, error=repr(exc))
                else:
                    log.error("periodic.round_failed", job=self.name, error=repr(exc), exc_info=exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def round(self) -> object:
        """One round of the job."""
        raise NotImplementedError
