"""Live queue and agent figures, mirrored from the router's documented HTTP API."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from case_service.api.router_proxy import ask_router
from cc_common.auth import Principal


def build_router(authenticate: Any, supervisors: Any) -> APIRouter:
    """``GET /v1/queues`` and ``GET /v1/agents``: the router's figures for the caller's
    tenant."""
    router = APIRouter(prefix="/v1", tags=["queues"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]
    Supervisor = Annotated[Principal, Depends(supervisors)]

    @router.get("/queues")
    async def list_queues(request: Request, principal: PrincipalDep) -> list[dict[str, Any]]:
        """Waiting work, longest wait, free agents and today's service level per queue."""
        rows: list[dict[str, Any]] = await ask_router(request, "/v1/queues")
        return rows

    @router.get("/agents")
    async def list_agents(request: Request, principal: Supervisor) -> list[dict[str, Any]]:
        """Every agent: presence and its reason, time in it, offers and work in hand per
        channel (the wallboard's agents)."""
        rows: list[dict[str, Any]] = await ask_router(request, "/v1/agents")
        return rows

    return router
