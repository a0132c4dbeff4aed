"""The router's tasks in MongoDB: one document per task, keyed by its deterministic id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.events import TaskState
from cc_common.mongo import Document, IndexSpec
from router_service.domain.tasks import NewTask

TASKS = "tasks"
_OPEN_STATES = [TaskState.QUEUED.value, TaskState.OFFERED.value, TaskState.ACCEPTED.value]

INDEXES = (
    IndexSpec(TASKS, [("tenant_id", 1), ("conversation_key", 1), ("state", 1)], "by_conversation"),
    IndexSpec(TASKS, [("tenant_id", 1), ("queue", 1), ("state", 1), ("entered_at", 1)], "by_queue"),
)


class TaskStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tasks = db[TASKS]

    async def open_task_id(self, tenant_id: str, conversation_key: str) -> str | None:
        """The id of the conversation's open task, if it has one."""
        doc = await self._tasks.find_one(
            {
                "tenant_id": tenant_id,
                "conversation_key": conversation_key,
                "state": {"$in": _OPEN_STATES},
            },
            projection={"_id": 1},
        )
        return str(doc["_id"]) if doc else None

    async def add(self, task: NewTask) -> None:
        """Store a queued task; storing it again changes nothing."""
        await self._tasks.update_one(
            {"_id": str(task.task_id)},
            {
                "$setOnInsert": {
                    "tenant_id": task.tenant_id,
                    "interaction_id": str(task.interaction_id),
                    "conversation_key": task.conversation_key,
                    "channel": task.channel.value,
                    "queue": task.queue,
                    "priority": task.priority,
                    "entered_at": task.entered_at,
                    "state": TaskState.QUEUED.value,
                }
            },
            upsert=True,
        )

    async def position(self, task: NewTask) -> int:
        """1-based place of the task among those queued before it in its queue."""
        ahead = await self._tasks.count_documents(
            {
                "tenant_id": task.tenant_id,
                "queue": task.queue,
                "state": TaskState.QUEUED.value,
                "entered_at": {"$lt": task.entered_at},
            }
        )
        return ahead + 1

    async def queue_stats(self, tenant_id: str, now: datetime) -> list[dict[str, Any]]:
        """Waiting tasks and the longest wait per queue."""
        stats: dict[str, dict[str, Any]] = {}
        cursor = self._tasks.find(
            {"tenant_id": tenant_id, "state": TaskState.QUEUED.value},
            projection={"queue": 1, "entered_at": 1},
        )
        async for doc in cursor:
            entry = stats.setdefault(
                doc["queue"], {"queue": doc["queue"], "waiting": 0, "oldest": now}
            )
            entry["waiting"] += 1
            entry["oldest"] = min(entry["oldest"], doc["entered_at"])
        return [
            {
                "queue": s["queue"],
                "waiting": s["waiting"],
                "longest_wait_seconds": round((now - s["oldest"]).total_seconds(), 1),
            }
            for s in sorted(stats.values(), key=lambda s: str(s["queue"]))
        ]
