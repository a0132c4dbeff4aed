"""Reads the stored events KPIs are computed from (definitions: domain/kpis.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CASES
from case_service.adapters.timeline import ENTRIES
from case_service.domain.kpis import KpiFilter, case_kpis, routing_kpis
from case_service.domain.lifecycle import ACTIVE
from cc_common.mongo import Document, IndexSpec

OUTCOME_LOOKAHEAD = timedelta(days=1)
"""How long after the period a task's acceptance and completion are still looked for."""

INDEXES = (
    IndexSpec(ENTRIES, [("tenant_id", 1), ("entry_type", 1), ("occurred_at", 1)], "by_type_time"),
    IndexSpec(CASES, [("tenant_id", 1), ("solved_at", 1)], "by_solve", options={"sparse": True}),
    IndexSpec(
        CASES, [("tenant_id", 1), ("csat.rated_at", 1)], "by_rating", options={"sparse": True}
    ),
    IndexSpec(CASES, [("tenant_id", 1), ("status", 1)], "by_status"),
    IndexSpec(
        CASES, [("tenant_id", 1), ("survey.answered_at", 1)], "by_survey", options={"sparse": True}
    ),
)


class KpiRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._entries = db[ENTRIES]
        self._cases = db[CASES]

    async def figures(self, tenant_id: str, f: KpiFilter) -> dict[str, Any]:
        changes = [
            {**doc["routing"], "at": doc["occurred_at"]}
            async for doc in self._entries.find(
                {
                    "tenant_id": tenant_id,
                    "entry_type": "routing",
                    "occurred_at": {"$gte": f.start, "$lt": f.end + OUTCOME_LOOKAHEAD},
                },
                projection={"routing": 1, "occurred_at": 1},
            )
        ]
        scope = self._case_scope(tenant_id, f)
        solved = [
            doc
            async for doc in self._cases.find(
                {**scope, "solved_at": {"$gte": f.start, "$lt": f.end}},
                projection={
                    "customer_returns": 1,
                    "reopen_count": 1,
                    "status": 1,
                    "knowledge_used": 1,
                },
            )
            if doc["status"] in ("solved", "closed")
        ]
        rated = [
            doc
            async for doc in self._cases.find(
                {**scope, "csat.rated_at": {"$gte": f.start, "$lt": f.end}},
                projection={"csat": 1},
            )
        ]
        backlog = await self._cases.count_documents({**scope, "status": {"$in": sorted(ACTIVE)}})
        recommended = [
            doc["survey"]["score"]
            async for doc in self._cases.find(
                {**scope, "survey.answered_at": {"$gte": f.start, "$lt": f.end}},
                projection={"survey": 1},
            )
            if doc["survey"].get("kind") == "nps" and doc["survey"].get("score") is not None
        ]
        return {
            "routing": routing_kpis(changes, f),
            "cases": case_kpis(solved, rated, backlog, recommended),
        }

    @staticmethod
    def _case_scope(tenant_id: str, f: KpiFilter) -> dict[str, Any]:
        scope: dict[str, Any] = {"tenant_id": tenant_id}
        if f.channel:
            scope["channel"] = f.channel
        if f.agent_id:
            scope["assignee_id"] = f.agent_id
        if f.queue:
            scope["queue"] = f.queue
        return scope
