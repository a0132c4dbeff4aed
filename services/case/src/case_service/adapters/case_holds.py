"""Who has a case open or is drafting a reply on it, for a short while (each desk
renews its hold while the agent stays; a hold not renewed lapses)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from cc_common.mongo import Document, IndexSpec

CASE_HOLDS = "case_holds"

INDEXES = (
    IndexSpec(CASE_HOLDS, [("tenant_id", 1), ("case_id", 1)], "by_case"),
    IndexSpec(CASE_HOLDS, [("expires_at", 1)], "expiry", options={"expireAfterSeconds": 0}),
)


def _hold_id(tenant_id: str, case_id: str, agent_id: str) -> str:
    return f"{tenant_id}|{case_id}|{agent_id}"


class CaseHoldRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._holds = db[CASE_HOLDS]

    async def hold(
        self,
        tenant_id: str,
        case_id: str,
        agent_id: str,
        state: str,
        *,
        at: datetime,
        until: datetime,
    ) -> None:
        await self._holds.update_one(
            {"_id": _hold_id(tenant_id, case_id, agent_id)},
            {
                "$set": {"state": state, "expires_at": until},
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "case_id": case_id,
                    "agent_id": agent_id,
                    "since": at,
                },
            },
            upsert=True,
        )

    async def release(self, tenant_id: str, case_id: str, agent_id: str) -> None:
        await self._holds.delete_one({"_id": _hold_id(tenant_id, case_id, agent_id)})

    async def current(self, tenant_id: str, case_id: str, now: datetime) -> list[dict[str, object]]:
        """The holds on the case that have not lapsed (the TTL sweep is not instant)."""
        cursor = self._holds.find({"tenant_id": tenant_id, "case_id": case_id})
        return [doc async for doc in cursor if doc["expires_at"] > now]
