"""Live queue statistics, mirrored from the router's documented HTTP API."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request

from cc_common.auth import Principal


def build_router(authenticate: Any) -> APIRouter:
    """``GET /v1/queues``: the router's figures for the caller's tenant."""
    router = APIRouter(prefix="/v1", tags=["queues"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]

    @router.get("/queues")
    async def list_queues(request: Request, principal: PrincipalDep) -> list[dict[str, Any]]:
        """Waiting work, longest wait, free agents and today's service level per queue."""
        client: httpx.AsyncClient = request.app.state.router_client
        try:
            response = await client.get(
                "/v1/queues", headers={"Authorization": request.headers["authorization"]}
            )
        except httpx.HTTPError as exc:
            raise HTTPException(503, "The router does not answer; try again.") from exc
        if response.status_code != 200:
            raise HTTPException(502, f"The router answered {response.status_code}.")
        rows: list[dict[str, Any]] = response.json()
        return rows

    return router
