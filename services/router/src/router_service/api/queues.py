"""Live queue statistics for supervisors and the case API."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from cc_common.auth import Principal
from cc_common.events import utc_now
from router_service.adapters.task_store import TaskStore


class QueueStats(BaseModel):
    queue: str
    waiting: int
    longest_wait_seconds: float


def build_router(authenticate: Any) -> APIRouter:
    """Routes reading the router's state; every one is tenant-scoped by the token."""
    router = APIRouter(prefix="/v1", tags=["queues"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]

    @router.get("/queues")
    async def list_queues(request: Request, principal: PrincipalDep) -> list[QueueStats]:
        """Waiting tasks and the longest wait of each queue of the caller's tenant."""
        store: TaskStore = request.app.state.task_store
        rows = await store.queue_stats(principal.tenant_id, utc_now())
        return [QueueStats(**row) for row in rows]

    return router
