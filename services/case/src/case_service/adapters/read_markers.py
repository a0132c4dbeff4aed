"""Where each agent last read each case, and how many of the customer's messages on
it came after (the desk's unread counts)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES
from case_service.adapters.timeline import ENTRIES
from case_service.ports import UNREAD_MOST
from cc_common.mongo import Document, IndexSpec

READ_MARKERS = "read_markers"
MARKER_DAYS = 180
"""A marker untouched this long is dropped: the case is long settled; were it
reopened, its messages count as unread again, which is what its agent would want."""

INDEXES = (
    IndexSpec(
        READ_MARKERS,
        [("read_at", 1)],
        "expiry",
        options={"expireAfterSeconds": MARKER_DAYS * 24 * 3600},
    ),
)


def _marker_id(tenant_id: str, agent_id: str, case_id: str) -> str:
    return f"{tenant_id}|{agent_id}|{case_id}"


class ReadMarkers:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._markers = db[READ_MARKERS]
        self._entries = db[ENTRIES]
        self._cases = db[CASES]

    async def mark(self, tenant_id: str, agent_id: str, case_id: str, at: datetime) -> None:
        """The agent has read the case up to ``at`` (a marker never moves back)."""
        await self._markers.update_one(
            {"_id": _marker_id(tenant_id, agent_id, case_id)},
            {
                "$max": {"read_at": at},
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "agent_id": agent_id,
                    "case_id": case_id,
                },
            },
            upsert=True,
        )

    async def unread(self, tenant_id: str, agent_id: str, case_ids: list[str]) -> dict[str, int]:
        """case id -> the customer's messages on it after the agent's marker (all of
        them if the agent never opened it), up to ``UNREAD_MOST``."""
        ids = [_marker_id(tenant_id, agent_id, case_id) for case_id in case_ids]
        read_at = {
            doc["case_id"]: doc["read_at"]
            async for doc in self._markers.find({"_id": {"$in": ids}}, {"case_id": 1, "read_at": 1})
        }
        counts: dict[str, int] = {}
        for case_id in case_ids:
            query: Document = {
                "tenant_id": tenant_id,
                "case_id": case_id,
                "entry_type": "interaction",
                "kind": "message",
                "direction": "inbound",
            }
            if case_id in read_at:
                query["occurred_at"] = {"$gt": read_at[case_id]}
            counts[case_id] = await self._entries.count_documents(query, limit=UNREAD_MOST)
        return counts

    async def last_activity(self, tenant_id: str, case_ids: list[str]) -> dict[str, datetime]:
        """case id -> when anything last happened on it (the desk's newest-first order)."""
        cursor = self._cases.find(
            {"_id": {"$in": case_ids}, "tenant_id": tenant_id}, {"last_activity_at": 1}
        )
        return {
            doc["_id"]: doc["last_activity_at"]
            async for doc in cursor
            if doc.get("last_activity_at")
        }
