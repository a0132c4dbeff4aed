"""``GET /v1/kpis``: supervisors' figures for a period, by queue, channel or agent."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from case_service.domain import kpis
from case_service.domain.kpis import KpiFilter
from case_service.ports import KpiReads
from cc_common.auth import Principal


def build_router(supervisors: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["kpis"])
    Supervisor = Annotated[Principal, Depends(supervisors)]

    @router.get("/kpis", description=kpis.__doc__)
    async def read_kpis(
        request: Request,
        principal: Supervisor,
        start: Annotated[datetime, Query(alias="from", description="Period start (inclusive).")],
        end: Annotated[datetime, Query(alias="to", description="Period end (exclusive).")],
        queue: Annotated[str | None, Query(max_length=63)] = None,
        channel: Annotated[str | None, Query(max_length=32)] = None,
        agent_id: Annotated[str | None, Query(max_length=128)] = None,
        service_level_seconds: Annotated[float, Query(gt=0, le=86_400)] = 20.0,
    ) -> dict[str, Any]:
        """Offered, answered, abandoned, answer rate, service level, ASA, AHT, FCR,
        reopen rate, backlog and CSAT (definitions in the description)."""
        repo: KpiReads = request.app.state.kpis
        f = KpiFilter(
            start=start,
            end=end,
            queue=queue,
            channel=channel,
            agent_id=agent_id,
            service_level_seconds=service_level_seconds,
        )
        figures = await repo.figures(principal.tenant_id, f)
        return {
            "from": start,
            "to": end,
            "filters": {"queue": queue, "channel": channel, "agent_id": agent_id},
            **figures,
        }

    return router
