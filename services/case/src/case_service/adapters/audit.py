"""The audit log: who read or changed what, when, with which answer.

Requests are recorded by the API's middleware into a buffer that is written in
batches (one insert per half second, not one per request); the buffer is flushed
at shutdown. A crash loses at most the last half second of records.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, PyMongoError

from cc_common.logging import get_logger
from cc_common.mongo import Document, IndexSpec
from cc_common.supervision import Doorbell

AUDIT = "audit_log"
IDLE_SECONDS = 60.0
log = get_logger(__name__)

INDEXES = (
    IndexSpec(AUDIT, [("tenant_id", 1), ("at", -1)], "by_time"),
    IndexSpec(AUDIT, [("tenant_id", 1), ("resource_ids", 1), ("at", -1)], "by_resource"),
    IndexSpec(AUDIT, [("tenant_id", 1), ("actor", 1), ("at", -1)], "by_actor"),
)


class AuditLog:
    def __init__(
        self, db: AsyncDatabase[Document], *, flush_seconds: float = 0.5, max_buffer: int = 50_000
    ) -> None:
        self._records = db[AUDIT]
        self._buffer: list[dict[str, Any]] = []
        self._flush_seconds = flush_seconds
        self._max_buffer = max_buffer
        self._stopping = asyncio.Event()
        self._recorded = Doorbell()

    def record(self, entry: dict[str, Any]) -> None:
        """Keep a record for the next batch (never blocks a request)."""
        if len(self._buffer) >= self._max_buffer:
            log.error("audit.buffer_full", dropped=1)  # the database is down for long
            return
        self._buffer.append(entry)
        self._recorded.ring()

    async def run(self) -> None:
        """Write the buffer every ``flush_seconds`` while records come, until stopped;
        with none coming, sleep until one does."""
        while not self._stopping.is_set():
            if not self._buffer:
                await self._recorded.wait(IDLE_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._flush_seconds)
            with contextlib.suppress(PyMongoError):  # kept; written on a later pass
                await self.flush()

    async def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            await self._records.insert_many(batch, ordered=False)
        except BulkWriteError as exc:
            # Records written on an earlier, half-failed attempt are duplicates: done.
            failed = {
                e["index"] for e in exc.details.get("writeErrors", []) if e.get("code") != 11000
            }
            self._buffer = [r for i, r in enumerate(batch) if i in failed] + self._buffer
            if failed:
                raise
        except PyMongoError:
            log.warning("audit.write_failed", records=len(batch))
            self._buffer = batch + self._buffer  # keep them for the next attempt
            raise

    async def stop(self) -> None:
        self._stopping.set()
        self._recorded.ring()
        await self.flush()

    async def query(
        self,
        tenant_id: str,
        *,
        actor: str | None,
        resource_id: str | None,
        before: datetime | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Records of the tenant, newest first."""
        query: dict[str, Any] = {"tenant_id": tenant_id}
        if actor:
            query["actor"] = actor
        if resource_id:
            query["resource_ids"] = resource_id
        if before:
            query["at"] = {"$lt": before}
        cursor = self._records.find(query).sort("at", -1).limit(limit)
        return [doc async for doc in cursor]
